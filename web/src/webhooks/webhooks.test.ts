import { describe, expect, it } from "vitest";
import type { WebhookDelivery } from "../api/types";
import { deliverySentence, groupEventTypes, urlProblem } from "./webhooks";

const base: WebhookDelivery = {
  id: "d1",
  endpointId: "e1",
  eventId: "ev1",
  eventType: "task.created",
  status: "delivered",
  attempts: 1,
  createdAt: "2026-12-05T10:00:00.000Z",
  lastAttemptAt: "2026-12-05T10:00:01.000Z",
  lastStatusCode: 200,
  lastError: null,
  nextAttemptAt: null,
  deliveredAt: "2026-12-05T10:00:01.000Z",
};

describe("groupEventTypes", () => {
  it("groups by subject in a fixed order", () => {
    const groups = groupEventTypes(["task.moved", "comment.created", "board.updated", "task.created", "list.created"]);
    expect(groups.map((g) => g.title)).toEqual(["Board", "Lists", "Cards", "Comments"]);
    expect(groups[2]?.types).toEqual(["task.created", "task.moved"]);
  });
});

describe("urlProblem", () => {
  it.each([
    ["", "Enter the URL"],
    ["not a url", "not a web address"],
    ["ftp://example.com/x", "https://"],
    ["https://me:pw@example.com/x", "user name or password"],
  ])("%s is refused", (url, words) => {
    expect(urlProblem(url)).toContain(words);
  });

  it("accepts an https URL", () => {
    expect(urlProblem(" https://hooks.example.com/in ")).toBeNull();
  });
});

describe("deliverySentence", () => {
  const now = Date.parse("2026-12-05T10:00:00.000Z");

  it("says how a delivery went, in words", () => {
    expect(deliverySentence(base, now)).toBe("Delivered.");
    expect(deliverySentence({ ...base, attempts: 3 }, now)).toBe("Delivered after 3 attempts.");
    const retrying = { ...base, status: "pending" as const, attempts: 2, lastStatusCode: 500, nextAttemptAt: "2026-12-05T10:00:30.000Z" };
    expect(deliverySentence(retrying, now)).toBe("Failed 2 attempts (the endpoint answered 500); trying again in 30 s.");
    const timeout = { ...retrying, lastStatusCode: null, lastError: "timed out" };
    expect(deliverySentence(timeout, now)).toContain("(timed out)");
    expect(deliverySentence({ ...base, status: "pending", attempts: 0 }, now)).toBe("Waiting to be sent.");
    expect(deliverySentence({ ...base, status: "failed", attempts: 0, lastError: "endpoint disabled" }, now)).toBe(
      "Not delivered: the endpoint was disabled.",
    );
    expect(deliverySentence({ ...base, status: "failed", attempts: 9, lastStatusCode: 503 }, now)).toBe(
      "Gave up after 9 attempts (the endpoint answered 503).",
    );
  });
});
