import { describe, expect, it } from "vitest";
import type { Checklists } from "../../api/types";
import * as logic from "./checklistLogic";

const item = (id: string, position: string, done = false) => ({ id, text: id, done, position, assigneeId: null, dueDate: null });
const data = (): Checklists => ({
  taskId: "t1",
  version: 3,
  checklistProgress: { done: 1, total: 3 },
  checklists: [
    { id: "c1", title: "One", position: "a", items: [item("i1", "a", true), item("i2", "b"), item("i3", "c")] },
    { id: "c2", title: "Two", position: "b", items: [] },
  ],
});

describe("checklist logic", () => {
  it("counts progress over every checklist and per checklist in whole percent", () => {
    expect(logic.progressOf(data().checklists)).toEqual({ done: 1, total: 3 });
    expect(logic.percentDone(data().checklists[0]!)).toBe(33);
    expect(logic.percentDone(data().checklists[1]!)).toBe(0);
  });

  it("ticking an item guesses the new progress and keeps the version", () => {
    const next = logic.changeItem(data(), "c1", "i2", { done: true });
    expect(next.checklistProgress).toEqual({ done: 2, total: 3 });
    expect(next.version).toBe(3);
    expect(next.checklists[0]!.items.map((i) => i.done)).toEqual([true, true, false]);
  });

  it("an item moves into another checklist, between the neighbours it lands at", () => {
    const into = logic.moveItemTo(data(), "c1", "c2", "i2", ["i2"]);
    expect(into.checklists.map((c) => c.items.map((i) => i.id))).toEqual([["i1", "i3"], ["i2"]]);
    expect(into.checklistProgress).toEqual({ done: 1, total: 3 });
    const back = logic.moveItemTo(into, "c2", "c1", "i2", ["i1", "i3", "i2"]);
    expect(back.checklists.map((c) => c.items.map((i) => i.id))).toEqual([["i1", "i3", "i2"], []]);
    const first = logic.moveItemTo(into, "c2", "c1", "i2", ["i2", "i1", "i3"]);
    expect(first.checklists[0]!.items.map((i) => i.id)).toEqual(["i2", "i1", "i3"]);
    expect(logic.moveItemTo(data(), "c1", "c2", "nope", ["nope"])).toEqual(data());
  });

  it("a drop lands over an item (its place) or over a checklist (its end)", () => {
    const lists = data().checklists;
    expect(logic.dropTarget(lists, "i1", "list:c2")).toEqual({ checklistId: "c2", order: ["i1"] });
    expect(logic.dropTarget(lists, "i3", "i1")).toEqual({ checklistId: "c1", order: ["i3", "i1", "i2"] });
    expect(logic.dropTarget(lists, "i1", "i3")).toEqual({ checklistId: "c1", order: ["i2", "i3", "i1"] });
    const moved = logic.moveItemTo(data(), "c1", "c2", "i2", ["i2"]).checklists;
    expect(logic.dropTarget(moved, "i1", "i2")).toEqual({ checklistId: "c2", order: ["i1", "i2"] });
    expect(logic.dropTarget(lists, "i1", "list:gone")).toBeNull();
    expect(logic.dropTarget(lists, "i1", "list:c1")).toBeNull();
  });

  it("a moved item sorts between its new neighbours; the others keep their places", () => {
    const next = logic.moveItem(data(), "c1", "i3", ["i3", "i1", "i2"]);
    expect(next.checklists[0]!.items.map((i) => i.id)).toEqual(["i3", "i1", "i2"]);
    const last = logic.moveItem(data(), "c1", "i1", ["i2", "i3", "i1"]);
    expect(last.checklists[0]!.items.map((i) => i.id)).toEqual(["i2", "i3", "i1"]);
    expect(last.checklists[0]!.items.find((i) => i.id === "i2")!.position).toBe("b");
  });

  it("adds and removes checklists and items at the end, recounting", () => {
    let next = logic.addItem(data(), "c2", { id: "tmp-1", text: "New" });
    expect(next.checklists[1]!.items.map((i) => i.text)).toEqual(["New"]);
    expect(next.checklistProgress).toEqual({ done: 1, total: 4 });
    next = logic.addChecklist(next, { id: "tmp-2", title: "Three" });
    expect(next.checklists.map((c) => c.title)).toEqual(["One", "Two", "Three"]);
    next = logic.removeChecklist(next, "c1");
    expect(next.checklistProgress).toEqual({ done: 0, total: 1 });
    next = logic.removeItem(next, "c2", "tmp-1");
    expect(next.checklistProgress).toEqual({ done: 0, total: 0 });
    expect(logic.renameChecklist(next, "c2", "Renamed").checklists[0]!.title).toBe("Renamed");
  });

  it("shows a due date in a date input", () => {
    expect(logic.dateValue("2027-01-02T00:00:00Z")).toBe("2027-01-02");
    expect(logic.dateValue(null)).toBe("");
  });
});
