// A card's writes through boardOps with a stand-in fetch: a Save made while the person's own
// assignee tick is in flight waits for it and names the version it produced, not the stale one.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BoardWithLists, Member, Task } from "../api/types";
import { acceptTokens, clearSession } from "../api/session";
import type { BoardState } from "../lib/boardState";
import { boardOps } from "./ops";
import type { BoardHandle } from "./useBoard";

const task = { id: "t1", boardId: "b1", listId: "l1", title: "Old", version: 3, assigneeIds: [] as string[] } as Task;
const member = { userId: "u2", name: "Ann" } as Member;

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  clearSession();
});

function setUp() {
  const shown: Task[] = [];
  const handle = {
    dispatch: (action: { type: string; task?: Task }) => {
      if (action.type === "taskPut" && action.task) shown.push(action.task);
    },
    write: async <T,>(_action: unknown, run: () => Promise<T>, apply?: () => void) => {
      apply?.();
      try {
        return await run();
      } catch {
        return null;
      }
    },
  } as unknown as BoardHandle;
  const state = { board: { id: "b1" } as BoardWithLists, tasks: { t1: task } } as unknown as BoardState;
  return { ops: boardOps(handle, () => state), shown };
}

describe("a card's writes", () => {
  it("sends Save after the assignee tick, with the version the tick produced", async () => {
    acceptTokens({ accessToken: "token", expiresIn: 900 });
    const calls: { method: string; ifMatch: string | undefined }[] = [];
    let answerTick!: () => void;
    vi.stubGlobal("fetch", (_url: string, init: RequestInit) => {
      const method = init.method ?? "GET";
      calls.push({ method, ifMatch: (init.headers as Record<string, string>)["If-Match"] });
      if (method === "PUT") {
        return new Promise<Response>((resolve) => {
          answerTick = () => resolve(json({ ...task, assigneeIds: ["u2"], version: 4 }));
        });
      }
      return Promise.resolve(json({ ...task, assigneeIds: ["u2"], title: "New", version: 5 }));
    });
    const { ops, shown } = setUp();
    ops.setAssignee(task, member, true);
    const saving = ops.updateCard(task, { title: "New" });
    await vi.waitFor(() => expect(calls.map((c) => c.method)).toEqual(["PUT"]));
    answerTick();
    const saved = await saving;
    expect(calls).toEqual([
      { method: "PUT", ifMatch: undefined },
      { method: "PATCH", ifMatch: '"4"' },
    ]);
    expect(saved?.version).toBe(5);
    // The tick's answer is not shown over the Save's guess; the Save's answer is.
    expect(shown.map((t) => t.version)).toEqual([3, 3, 5]);
  });
});
