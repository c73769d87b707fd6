// The person's writes on an open board, each optimistic: the screen changes at once, the server's
// answer replaces the guess, a refusal puts the old state back with a sentence.
import { api, paths } from "../api/boards";
import type { BoardWithLists, List, Member, Task } from "../api/types";
import { tasksOf, type BoardState } from "../lib/boardState";
import { CardWrites } from "../lib/cardWrites";
import { anchorsFor, between } from "../lib/positions";
import type { BoardHandle } from "./useBoard";
import { checklistOps } from "./card/checklistOps";

let temp = 0;
const tempId = () => `tmp-${++temp}`;
export const isTemp = (id: string) => id.startsWith("tmp-");

export function boardOps(handle: BoardHandle, getState: () => BoardState | null) {
  const { dispatch, write } = handle;
  const now = () => new Date().toISOString();
  const cards = new CardWrites();

  /** Send a write of an existing card after the person's earlier writes of it, with the version
   * those left; `send` gets that version. */
  function cardWrite(task: Task, send: (version: number) => Promise<Task>): () => Promise<Task> {
    return () =>
      cards.run(task.id, async () => {
        const version = cards.version(task.id, task.version);
        const saved = await send(version);
        cards.answered(task.id, version, saved.version);
        return saved;
      });
  }

  /** Show the server's answer for a card unless a later write of it is on its way (its answer
   * follows, and showing this one first would step the screen back). */
  function settle(saved: Task | null): void {
    if (saved && !cards.busy(saved.id)) dispatch({ type: "taskPut", task: saved });
  }

  function positionAt(positions: string[], index: number): string {
    return between(positions[index - 1] ?? null, positions[index] ?? null);
  }

  return {
    checklists: checklistOps(handle, cards, (taskId) => getState()?.tasks[taskId]?.version ?? 0),

    renameBoard(title: string) {
      const state = getState();
      if (!state || !title.trim() || title === state.board.title) return;
      const old = state.board.title;
      void write(
        "board",
        () => api<BoardWithLists>("PATCH", paths.board(state.board.id), { body: { title } }),
        () => dispatch({ type: "board", board: { title } }),
        () => dispatch({ type: "board", board: { title: old } }),
      ).then((board) => board && dispatch({ type: "board", board: { version: board.version, title: board.title } }));
    },

    addList(title: string) {
      const state = getState();
      if (!state) return;
      const lists = state.board.lists;
      const id = tempId();
      const list: List = { id, boardId: state.board.id, title, position: positionAt(lists.map((l) => l.position), lists.length), createdAt: now(), updatedAt: now(), version: 0, archivedAt: null };
      void write(
        "list",
        () => api<List>("POST", paths.lists(state.board.id), { body: { title } }),
        () => dispatch({ type: "listPut", list }),
        () => dispatch({ type: "listRemove", listId: id }),
      ).then((saved) => saved && dispatch({ type: "listPut", list: saved, replaces: id }));
    },

    renameList(list: List, title: string) {
      if (!title.trim() || title === list.title || isTemp(list.id)) return;
      void write(
        "list",
        () => api<List>("PATCH", paths.list(list.id), { body: { title } }),
        () => dispatch({ type: "listPut", list: { ...list, title } }),
        () => dispatch({ type: "listPut", list }),
      ).then((saved) => saved && dispatch({ type: "listPut", list: saved }));
    },

    moveList(listId: string, order: string[]) {
      const state = getState();
      const list = state?.board.lists.find((l) => l.id === listId);
      if (!state || !list || isTemp(listId)) return;
      const byId = new Map(state.board.lists.map((l) => [l.id, l]));
      const index = order.indexOf(listId);
      const position = between(byId.get(order[index - 1] ?? "")?.position ?? null, byId.get(order[index + 1] ?? "")?.position ?? null);
      const anchors = anchorsFor(order, listId);
      if (!anchors.afterId && !anchors.beforeId) return;
      void write(
        "list",
        () => api<List>("PATCH", paths.list(listId), { body: anchors }),
        () => dispatch({ type: "listPut", list: { ...list, position } }),
        () => dispatch({ type: "listPut", list }),
      ).then((saved) => saved && dispatch({ type: "listPut", list: saved }));
    },

    /** Archive a list: it leaves the board with its cards (restorable from Archived items). */
    archiveList(list: List) {
      const state = getState();
      if (!state || isTemp(list.id)) return;
      const tasks = tasksOf(state, list.id);
      void write(
        "list",
        () => api("POST", paths.archive(paths.list(list.id))),
        () => dispatch({ type: "listRemove", listId: list.id }),
        () => {
          dispatch({ type: "listPut", list });
          for (const task of tasks) dispatch({ type: "taskPut", task });
        },
      );
    },

    addCard(listId: string, title: string) {
      const state = getState();
      if (!state || isTemp(listId)) return;
      const positions = tasksOf(state, listId).map((t) => t.position);
      const id = tempId();
      const task: Task = {
        id, boardId: state.board.id, listId, title, description: "", position: positionAt(positions, positions.length),
        assigneeIds: [], labelIds: [], startDate: null, dueDate: null, dueComplete: false, createdBy: "", createdAt: now(), updatedAt: now(), version: 0,
        archivedAt: null, archivedWithList: false, checklistProgress: { done: 0, total: 0 }, commentCount: 0,
      };
      void write(
        "card",
        () => api<Task>("POST", paths.tasks(state.board.id), { body: { listId, title } }),
        () => dispatch({ type: "taskPut", task }),
        () => dispatch({ type: "taskRemove", taskId: id }),
      ).then((saved) => saved && dispatch({ type: "taskPut", task: saved, replaces: id }));
    },

    /** Move `taskId` into `listId` so that the list's order becomes `order`. */
    moveCard(taskId: string, listId: string, order: string[]) {
      const state = getState();
      const task = state?.tasks[taskId];
      if (!state || !task || isTemp(taskId)) return;
      const index = order.indexOf(taskId);
      const neighbour = (i: number) => state.tasks[order[i] ?? ""]?.position ?? null;
      const position = between(neighbour(index - 1), neighbour(index + 1));
      const anchors = anchorsFor(order.filter((id) => !isTemp(id) || id === taskId), taskId);
      void write(
        "move",
        cardWrite(task, () => api<Task>("POST", paths.move(taskId), { body: { listId, ...anchors } })),
        () => dispatch({ type: "taskPut", task: { ...task, listId, position } }),
        () => dispatch({ type: "taskPut", task }),
      ).then(settle);
    },

    /** `conditional: false` for one-click toggles (a label, the done flag): a second click before
     * the first answer would otherwise name a version the server has already moved past. */
    updateCard(
      task: Task,
      changes: Partial<Pick<Task, "title" | "description" | "labelIds" | "startDate" | "dueDate" | "dueComplete">>,
      { conditional = true }: { conditional?: boolean } = {},
    ) {
      if (Object.keys(changes).length === 0) return Promise.resolve(null);
      return write(
        "card",
        cardWrite(task, (version) => api<Task>("PATCH", paths.task(task.id), { body: changes, ...(conditional ? { ifMatch: version } : {}) })),
        () => dispatch({ type: "taskPut", task: { ...task, ...changes } }),
        () => dispatch({ type: "taskPut", task }),
      ).then((saved) => {
        settle(saved);
        return saved;
      });
    },

    setAssignee(task: Task, member: Member, assigned: boolean) {
      const assigneeIds = assigned ? [...task.assigneeIds, member.userId] : task.assigneeIds.filter((id) => id !== member.userId);
      void write(
        "card",
        cardWrite(task, () => api<Task>(assigned ? "PUT" : "DELETE", paths.assignee(task.id, member.userId))),
        () => dispatch({ type: "taskPut", task: { ...task, assigneeIds } }),
        () => dispatch({ type: "taskPut", task }),
      ).then(settle);
    },

    /** Archive a card: it leaves the board (restorable from Archived items). */
    archiveCard(task: Task) {
      if (isTemp(task.id)) return;
      void write(
        "card",
        () => api("POST", paths.archive(paths.task(task.id))),
        () => dispatch({ type: "taskRemove", taskId: task.id }),
        () => dispatch({ type: "taskPut", task }),
      );
    },
  };
}

export type BoardOps = ReturnType<typeof boardOps>;
