import { describe, expect, it } from "vitest";
import { dateInput, dueState, fromDateInput, SOON_MS } from "./due";

const NOW = Date.parse("2026-12-05T12:00:00Z");
const at = (offset: number) => new Date(NOW + offset).toISOString();

describe("due state", () => {
  it("is nothing without a due date", () => {
    expect(dueState({ dueDate: null, dueComplete: false }, NOW)).toBeNull();
    expect(dueState({ dueDate: null, dueComplete: true }, NOW)).toBeNull();
  });

  it("is overdue once the due time has passed", () => {
    expect(dueState({ dueDate: at(-1), dueComplete: false }, NOW)).toBe("overdue");
    expect(dueState({ dueDate: at(-30 * SOON_MS), dueComplete: false }, NOW)).toBe("overdue");
  });

  it("is due soon within 24 hours, and just due after", () => {
    expect(dueState({ dueDate: at(0), dueComplete: false }, NOW)).toBe("soon");
    expect(dueState({ dueDate: at(SOON_MS), dueComplete: false }, NOW)).toBe("soon");
    expect(dueState({ dueDate: at(SOON_MS + 1), dueComplete: false }, NOW)).toBe("later");
  });

  it("is complete whatever the date once done", () => {
    expect(dueState({ dueDate: at(-SOON_MS), dueComplete: true }, NOW)).toBe("complete");
    expect(dueState({ dueDate: at(SOON_MS), dueComplete: true }, NOW)).toBe("complete");
  });

  it("round-trips date inputs", () => {
    expect(fromDateInput("2026-12-24")).toBe("2026-12-24T00:00:00Z");
    expect(fromDateInput("")).toBeNull();
    expect(dateInput("2026-12-24T00:00:00Z")).toBe("2026-12-24");
    expect(dateInput(null)).toBe("");
  });
});
