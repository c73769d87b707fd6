import { describe, expect, it } from "vitest";
import type { BoardWithLists, Push, Task } from "../api/types";
import { initialState, reduce, tasksOf, type BoardState } from "./boardState";

const board: BoardWithLists = {
  id: "b1", title: "Plan", description: "", ownerId: "u1",
  members: [{ userId: "u1", role: "owner", name: "Ada" }],
  labels: [], createdAt: "", updatedAt: "", version: 1, archivedAt: null,
  lists: [
    { id: "l1", boardId: "b1", title: "To do", position: "m", createdAt: "", updatedAt: "", version: 1, archivedAt: null },
    { id: "l2", boardId: "b1", title: "Done", position: "n", createdAt: "", updatedAt: "", version: 1, archivedAt: null },
  ],
};
const task = (id: string, listId: string, position: string, version = 1): Task => ({
  id, boardId: "b1", listId, title: id, description: "", position, assigneeIds: [], labelIds: [], startDate: null, dueDate: null, dueComplete: false,
  createdBy: "u1", createdAt: "", updatedAt: "", version, commentCount: 0, archivedAt: null, archivedWithList: false,
});
let seq = 10;
const push = (type: string, data: Record<string, unknown>): Push => ({
  id: `e${++seq}`, type, boardId: "b1", seq, actorId: "u2", occurredAt: "2026-01-01T00:00:00.000Z", data,
});
const start = (): BoardState => initialState(board, [task("t1", "l1", "a"), task("t2", "l1", "b"), task("t3", "l2", "a")], 10);
const apply = (state: BoardState, p: Push) => reduce(state, { type: "push", push: p, me: "u1" })!;

describe("board state: archive and restore", () => {
  it("takes an archived list off the board with its cards, and puts a restored one back", () => {
    seq = 10;
    let state = apply(start(), push("list.archived", { listId: "l1", boardId: "b1", version: 2, title: "To do" }));
    expect(state.board.lists.map((l) => l.id)).toEqual(["l2"]);
    expect(Object.keys(state.tasks)).toEqual(["t3"]);
    // The cascade's task.archived find nothing left to remove.
    state = apply(state, push("task.archived", { taskId: "t1", listId: "l1", version: 2, withList: true }));
    expect(Object.keys(state.tasks)).toEqual(["t3"]);
    state = apply(state, push("list.restored", { listId: "l1", boardId: "b1", title: "To do", position: "m", createdAt: "2026-01-01T00:00:00Z", version: 3 }));
    expect(state.board.lists.map((l) => [l.id, l.version])).toEqual([["l1", 3], ["l2", 1]]);
    for (const [id, position] of [["t2", "b"], ["t1", "a"]] as const) {
      state = apply(state, push("task.restored", { taskId: id, listId: "l1", title: id, position, assigneeIds: [], labels: [], version: 3, withList: true }));
    }
    expect(tasksOf(state, "l1").map((t) => [t.id, t.version])).toEqual([["t1", 3], ["t2", 3]]);
  });

  it("removes an archived card and brings a restored one back to the list it names", () => {
    seq = 10;
    let state = apply(start(), push("task.archived", { taskId: "t2", listId: "l1", version: 2 }));
    expect(tasksOf(state, "l1").map((t) => t.id)).toEqual(["t1"]);
    state = apply(state, push("task.restored", { taskId: "t2", listId: "l2", fromListId: "l1", title: "t2", position: "b", version: 3 }));
    expect(tasksOf(state, "l2").map((t) => t.id)).toEqual(["t3", "t2"]);
    // An older restore than the card held is ignored.
    const same = apply(state, push("task.restored", { taskId: "t2", listId: "l1", title: "t2", position: "z", version: 2 }));
    expect(same.tasks.t2?.listId).toBe("l2");
  });

  it("marks the board archived and restored", () => {
    seq = 10;
    let state = apply(start(), push("board.archived", { boardId: "b1", version: 2, archivedAt: "2026-01-02T00:00:00Z" }));
    expect(state.board.archivedAt).toBe("2026-01-02T00:00:00Z");
    expect(state.closed).toBeNull();
    state = apply(state, push("board.restored", { boardId: "b1", version: 3 }));
    expect(state.board.archivedAt).toBeNull();
    expect(state.board.version).toBe(3);
  });
});
