import { describe, expect, it } from "vitest";
import type { BoardWithLists, Push, Task } from "../api/types";
import { classify, initialState, reduce, tasksOf, type BoardState } from "./boardState";

const board: BoardWithLists = {
  id: "b1", title: "Plan", description: "", ownerId: "u1",
  members: [{ userId: "u1", role: "owner", name: "Ada" }, { userId: "u2", role: "editor", name: "Bob" }],
  labels: [], createdAt: "", updatedAt: "", version: 1, archivedAt: null,
  lists: [
    { id: "l2", boardId: "b1", title: "Done", position: "n", createdAt: "", updatedAt: "", version: 1, archivedAt: null },
    { id: "l1", boardId: "b1", title: "To do", position: "m", createdAt: "", updatedAt: "", version: 1, archivedAt: null },
  ],
};
const task = (id: string, listId: string, position: string, version = 1): Task => ({
  id, boardId: "b1", listId, title: id, description: "", position, assigneeIds: [], labelIds: [], startDate: null, dueDate: null, dueComplete: false,
  createdBy: "u1", createdAt: "", updatedAt: "", version, commentCount: 0, archivedAt: null, archivedWithList: false,
});
let seq = 10;
const push = (type: string, data: Record<string, unknown>, s: number | null = ++seq): Push => ({
  id: `e${s}`, type, boardId: "b1", seq: s, actorId: "u2", occurredAt: "2026-01-01T00:00:00.000Z", data,
});
const start = (): BoardState => initialState(board, [task("t1", "l1", "a"), task("t2", "l1", "b"), task("t3", "l2", "a")], 10);
const apply = (state: BoardState, p: Push, me = "u1") => reduce(state, { type: "push", push: p, me })!;

describe("board state", () => {
  it("orders lists and tasks by position", () => {
    const state = start();
    expect(state.board.lists.map((l) => l.id)).toEqual(["l1", "l2"]);
    expect(tasksOf(state, "l1").map((t) => t.id)).toEqual(["t1", "t2"]);
  });

  it("applies a pushed move once: the same seq again changes nothing", () => {
    seq = 10;
    const moved = push("task.moved", { taskId: "t1", fromListId: "l1", toListId: "l2", position: "b", version: 2 });
    const once = apply(start(), moved);
    expect(tasksOf(once, "l2").map((t) => t.id)).toEqual(["t3", "t1"]);
    expect(once.seq).toBe(11);
    expect(apply(once, moved)).toBe(once);
  });

  it("ignores a push older than what an own write already brought (version)", () => {
    seq = 10;
    const state = reduce(start(), { type: "taskPut", task: { ...task("t1", "l2", "c", 3) } })!;
    const stale = apply(state, push("task.moved", { taskId: "t1", toListId: "l1", position: "z", version: 2 }));
    expect(stale.tasks.t1?.listId).toBe("l2");
    expect(stale.seq).toBe(11);
  });

  it("takes a task's comment count from comment pushes, guarded by the task version", () => {
    seq = 10;
    let state = apply(start(), push("comment.created", { taskId: "t1", commentId: "c1", taskVersion: 2, commentCount: 1, version: 1 }));
    expect(state.tasks.t1).toMatchObject({ commentCount: 1, version: 2 });
    state = apply(state, push("comment.created", { taskId: "t1", commentId: "c2", taskVersion: 3, commentCount: 2, version: 1 }));
    // A replay of the first (a new seq, e.g. after a reload that already counted it) changes nothing.
    const replayed = apply(state, push("comment.created", { taskId: "t1", commentId: "c1", taskVersion: 2, commentCount: 1, version: 1 }));
    expect(replayed.tasks.t1).toMatchObject({ commentCount: 2, version: 3 });
    state = apply(replayed, push("comment.deleted", { taskId: "t1", commentId: "c2", taskVersion: 4, commentCount: 1, version: 2 }));
    expect(state.tasks.t1).toMatchObject({ commentCount: 1, version: 4 });
    // An edit changes no count and no task version.
    expect(apply(state, push("comment.updated", { taskId: "t1", commentId: "c1", version: 2 })).tasks.t1).toBe(state.tasks.t1);
  });

  it("creates, updates, assigns and deletes tasks from pushes", () => {
    seq = 10;
    let state = apply(start(), push("task.created", { taskId: "t9", listId: "l2", title: "New", position: "c", assigneeIds: [], labelIds: ["x"], dueDate: null, version: 1 }));
    expect(tasksOf(state, "l2").map((t) => t.title)).toEqual(["t3", "New"]);
    state = apply(state, push("task.updated", { taskId: "t9", title: "Renamed", version: 2 }));
    expect(state.tasks.t9?.title).toBe("Renamed");
    expect(state.tasks.t9?.labelIds).toEqual(["x"]);
    state = apply(state, push("task.assigned", { taskId: "t9", userId: "u2", version: 3 }));
    expect(state.tasks.t9?.assigneeIds).toEqual(["u2"]);
    state = apply(state, push("task.deleted", { taskId: "t9", version: 4 }));
    expect(state.tasks.t9).toBeUndefined();
  });

  it("removes a deleted list's cards", () => {
    seq = 10;
    const state = apply(start(), push("list.deleted", { listId: "l1", version: 2 }));
    expect(state.board.lists.map((l) => l.id)).toEqual(["l2"]);
    expect(Object.keys(state.tasks)).toEqual(["t3"]);
  });

  it("changes roles live and closes the board when I am removed", () => {
    seq = 10;
    let state = apply(start(), push("board.member_role_changed", { userId: "u2", role: "viewer", version: 2 }), "u2");
    expect(state.board.members.find((m) => m.userId === "u2")?.role).toBe("viewer");
    expect(state.closed).toBeNull();
    state = apply(state, push("board.member_removed", { userId: "u2", role: "viewer", version: 3 }), "u2");
    expect(state.closed).toContain("no longer a member");
  });

  it("closes on board.deleted (seq null) and asks for names of a new member", () => {
    seq = 10;
    const added = apply(start(), push("board.member_added", { userId: "u3", role: "viewer", version: 2 }));
    expect(added.membersStale).toBe(true);
    const deleted = apply(added, push("board.deleted", { boardId: "b1", version: 3 }, null));
    expect(deleted.closed).toContain("deleted");
    expect(deleted.seq).toBe(11);
  });

  it("classifies pushes against the seq it has", () => {
    seq = 10;
    expect(classify(10, push("x", {}, 11))).toBe("apply");
    expect(classify(10, push("x", {}, 10))).toBe("duplicate");
    expect(classify(10, push("x", {}, 13))).toBe("gap");
    expect(classify(10, push("board.deleted", {}, null))).toBe("apply");
  });

  it("a reload keeps the seq it is given", () => {
    const state = reduce(start(), { type: "loaded", board, tasks: [], seq: 42 })!;
    expect(state.seq).toBe(42);
    expect(Object.keys(state.tasks)).toEqual([]);
  });
});
