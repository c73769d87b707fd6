// Labels in the board state: pushes keep the board's labels current, a deleted label leaves
// every card, and tasks carry label ids and dates from their pushes.
import { describe, expect, it } from "vitest";
import type { BoardWithLists, Push, Task } from "../api/types";
import { initialState, reduce, type BoardState } from "./boardState";
import { makeLabel } from "./labels";

const board: BoardWithLists = {
  id: "b", title: "B", description: "", ownerId: "u", members: [{ userId: "u", role: "owner" }],
  labels: [makeLabel("l1", "Bug", "red")], lists: [], createdAt: "", updatedAt: "", version: 2, archivedAt: null,
};
const task: Task = {
  id: "t", boardId: "b", listId: "x", title: "T", description: "", position: "a0", assigneeIds: [],
  labelIds: ["l1"], startDate: null, dueDate: null, dueComplete: false, createdBy: "u", createdAt: "",
  updatedAt: "", version: 1, commentCount: 0, archivedAt: null, archivedWithList: false,
};
let seq = 0;
const push = (type: string, data: Record<string, unknown>): Push => ({
  id: `e${++seq}`, type, boardId: "b", seq, actorId: "u", occurredAt: "2026-12-05T12:00:00Z", data,
});
const apply = (state: BoardState, p: Push) => reduce(state, { type: "push", push: p, me: "me" }) as BoardState;

describe("labels in the board state", () => {
  it("follows label pushes", () => {
    let state = initialState(board, [task]);
    state = apply(state, push("board.label_created", { boardId: "b", labelId: "l2", name: "Docs", color: "blue", version: 3 }));
    expect(state.board.labels.map((l) => [l.name, l.background])).toEqual([["Bug", "#F87168"], ["Docs", "#579DFF"]]);
    state = apply(state, push("board.label_updated", { boardId: "b", labelId: "l1", name: "Defect", version: 4 }));
    expect(state.board.labels[0]).toMatchObject({ name: "Defect", color: "red" });
    state = apply(state, push("board.label_updated", { boardId: "b", labelId: "l1", color: "purple", version: 5 }));
    expect(state.board.labels[0]).toMatchObject({ name: "Defect", color: "purple", background: "#9F8FEF" });
    state = apply(state, push("board.label_deleted", { boardId: "b", labelId: "l1", version: 6 }));
    expect(state.board.labels.map((l) => l.id)).toEqual(["l2"]);
    expect(state.tasks.t?.labelIds).toEqual([]);
  });

  it("takes label ids, dates and completion from task pushes", () => {
    let state = initialState(board, []);
    state = apply(state, push("task.created", { taskId: "n", listId: "x", title: "N", position: "a1", labelIds: ["l1"], dueDate: "2026-12-06T00:00:00Z", version: 1 }));
    expect(state.tasks.n).toMatchObject({ labelIds: ["l1"], dueDate: "2026-12-06T00:00:00Z", dueComplete: false, startDate: null });
    state = apply(state, push("task.updated", { taskId: "n", listId: "x", dueComplete: true, startDate: "2026-12-01T00:00:00Z", version: 2 }));
    expect(state.tasks.n).toMatchObject({ dueComplete: true, startDate: "2026-12-01T00:00:00Z", labelIds: ["l1"] });
  });

  it("puts and removes labels for the app's own writes", () => {
    let state = initialState(board, [task]) as BoardState;
    state = reduce(state, { type: "labelPut", label: makeLabel("tmp-1", "New", "green") }) as BoardState;
    state = reduce(state, { type: "labelPut", label: makeLabel("l9", "New", "green"), replaces: "tmp-1" }) as BoardState;
    expect(state.board.labels.map((l) => l.id)).toEqual(["l1", "l9"]);
    state = reduce(state, { type: "labelRemove", labelId: "l1" }) as BoardState;
    expect(state.board.labels.map((l) => l.id)).toEqual(["l9"]);
    expect(state.tasks.t?.labelIds).toEqual([]);
  });
});
