// The open board as the page holds it, and the pure rules that change it: the REST load, the
// pushed events, and the app's own optimistic writes. Every change goes through `reduce`.
import { compare } from "./positions";
import type { BoardWithLists, Label, List, Member, Push, Role, Task } from "../api/types";
import { isLabelColor, LABEL_COLORS, makeLabel } from "./labels";

export interface BoardState {
  board: BoardWithLists;
  tasks: Record<string, Task>;
  /** Highest activity seq applied (pushes at or below it are duplicates). */
  seq: number;
  /** Set when the board cannot stay open (deleted, or we were removed), with the sentence. */
  closed: string | null;
  /** Members changed in a way a push cannot fully describe (a new member's name): reload them. */
  membersStale: boolean;
}

export type BoardAction =
  | { type: "loaded"; board: BoardWithLists; tasks: Task[]; seq?: number }
  | { type: "push"; push: Push; me: string }
  | { type: "seq"; seq: number }
  | { type: "board"; board: Partial<BoardWithLists> }
  | { type: "members"; members: Member[] }
  | { type: "listPut"; list: List; replaces?: string }
  | { type: "listRemove"; listId: string }
  | { type: "taskPut"; task: Task; replaces?: string }
  | { type: "taskRemove"; taskId: string }
  | { type: "labelPut"; label: Label; replaces?: string }
  | { type: "labelRemove"; labelId: string }
  | { type: "close"; message: string };

export function initialState(board: BoardWithLists, tasks: Task[], seq = 0): BoardState {
  return {
    board: { ...board, lists: sortLists(board.lists) },
    tasks: Object.fromEntries(tasks.map((t) => [t.id, t])),
    seq,
    closed: null,
    membersStale: false,
  };
}

function sortLists(lists: List[]): List[] {
  return [...lists].sort((a, b) => compare(a.position, b.position) || compare(a.id, b.id));
}

/** Tasks of a list in board order. */
export function tasksOf(state: BoardState, listId: string): Task[] {
  return Object.values(state.tasks)
    .filter((t) => t.listId === listId)
    .sort((a, b) => compare(a.position, b.position) || compare(a.id, b.id));
}

/** Every list's tasks in board order, in one pass. Arrays equal (same tasks, same order) to
 * those in `previous` are the previous arrays, so a list whose cards did not change keeps the
 * identity React's memo compares. */
export function tasksByList(tasks: Record<string, Task>, previous?: Map<string, Task[]>): Map<string, Task[]> {
  const groups = new Map<string, Task[]>();
  for (const task of Object.values(tasks)) {
    const group = groups.get(task.listId);
    if (group) group.push(task);
    else groups.set(task.listId, [task]);
  }
  for (const [listId, group] of groups) {
    group.sort((a, b) => compare(a.position, b.position) || compare(a.id, b.id));
    const before = previous?.get(listId);
    if (before && before.length === group.length && before.every((t, i) => t === group[i])) groups.set(listId, before);
  }
  return groups;
}

export function roleOf(board: BoardWithLists, userId: string): Role | null {
  return board.members.find((m) => m.userId === userId)?.role ?? null;
}

/** Is `push` the next thing to apply, a duplicate, or past a gap (some event was missed)? */
export function classify(seq: number, push: Push): "apply" | "duplicate" | "gap" {
  if (push.seq === null) return "apply";
  if (push.seq <= seq) return "duplicate";
  if (push.seq > seq + 1 && seq > 0) return "gap";
  return "apply";
}

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const num = (value: unknown): number => (typeof value === "number" ? value : 0);

/** Apply fields of `data` that `keys` names and `data` has (pushed *.updated carry only the
 * changed ones). */
function pick<T extends object>(target: T, data: Record<string, unknown>, keys: (keyof T & string)[]): T {
  const next = { ...target };
  for (const key of keys) if (key in data) (next as Record<string, unknown>)[key] = data[key];
  return next;
}

function applyPush(state: BoardState, push: Push, me: string): BoardState {
  const d = push.data;
  const version = num(d.version);
  const board = state.board;
  switch (push.type) {
    case "board.updated":
      if (version && version <= board.version) return state;
      return { ...state, board: { ...pick(board, d, ["title", "description", "updatedAt"]), version: version || board.version } };
    case "board.deleted":
      return { ...state, closed: `The board “${board.title}” was deleted.` };
    case "board.member_added": {
      const userId = str(d.userId);
      if (!userId) return state;
      const role = (str(d.role) ?? "editor") as Role;
      const known = board.members.some((m) => m.userId === userId);
      const members = known
        ? board.members.map((m) => (m.userId === userId ? { ...m, role } : m))
        : [...board.members, { userId, role }];
      return { ...state, board: { ...board, members }, membersStale: !known || state.membersStale };
    }
    case "board.member_role_changed": {
      const userId = str(d.userId);
      const role = str(d.role) as Role | undefined;
      if (!userId || !role) return state;
      // A change of owner comes as role changes too: the new owner becomes `ownerId`.
      const ownerId = role === "owner" ? userId : board.ownerId;
      const members = board.members.map((m) => (m.userId === userId ? { ...m, role } : m));
      return { ...state, board: { ...board, ownerId, members } };
    }
    case "board.member_removed": {
      const userId = str(d.userId);
      if (!userId) return state;
      if (userId === me) return { ...state, closed: `You are no longer a member of “${board.title}”.` };
      const tasks = Object.fromEntries(
        Object.entries(state.tasks).map(([id, t]) => [id, t.assigneeIds.includes(userId) ? { ...t, assigneeIds: t.assigneeIds.filter((a) => a !== userId) } : t]),
      );
      return { ...state, tasks, board: { ...board, members: board.members.filter((m) => m.userId !== userId) } };
    }
    case "board.owner_transferred": {
      const ownerId = str(d.newOwnerId) ?? str(d.userId) ?? str(d.ownerId);
      const previous = str(d.previousOwnerId) ?? board.ownerId;
      if (!ownerId) return { ...state, membersStale: true };
      const members = board.members.map((m): Member =>
        m.userId === ownerId ? { ...m, role: "owner" } : m.userId === previous ? { ...m, role: "editor" } : m,
      );
      return { ...state, board: { ...board, ownerId, members } };
    }
    case "board.label_created":
    case "board.label_updated":
    case "board.label_deleted":
      return applyLabelPush(state, push.type, d);
    case "list.created": {
      const id = str(d.listId);
      if (!id || board.lists.some((l) => l.id === id)) return state;
      const list: List = {
        id,
        boardId: board.id,
        title: str(d.title) ?? "",
        position: str(d.position) ?? "",
        createdAt: str(d.createdAt) ?? push.occurredAt,
        updatedAt: str(d.createdAt) ?? push.occurredAt,
        version: version || 1,
        archivedAt: null,
      };
      return { ...state, board: { ...board, lists: sortLists([...board.lists, list]) } };
    }
    case "list.updated": {
      const id = str(d.listId);
      const lists = board.lists.map((l) =>
        l.id === id && version > l.version ? { ...pick(l, d, ["title", "position", "updatedAt"]), version } : l,
      );
      return { ...state, board: { ...board, lists: sortLists(lists) } };
    }
    case "list.deleted": {
      const id = str(d.listId);
      const tasks = Object.fromEntries(Object.entries(state.tasks).filter(([, t]) => t.listId !== id));
      return { ...state, tasks, board: { ...board, lists: board.lists.filter((l) => l.id !== id) } };
    }
    case "task.created": {
      const id = str(d.taskId);
      if (!id || state.tasks[id]) return state;
      const task: Task = {
        id,
        boardId: board.id,
        listId: str(d.listId) ?? "",
        title: str(d.title) ?? "",
        description: str(d.description) ?? "",
        position: str(d.position) ?? "",
        assigneeIds: Array.isArray(d.assigneeIds) ? (d.assigneeIds as string[]) : [],
        labelIds: Array.isArray(d.labelIds) ? (d.labelIds as string[]) : [],
        startDate: str(d.startDate) ?? null,
        dueDate: str(d.dueDate) ?? null,
        dueComplete: d.dueComplete === true,
        createdBy: str(d.createdBy) ?? "",
        createdAt: str(d.createdAt) ?? push.occurredAt,
        updatedAt: str(d.createdAt) ?? push.occurredAt,
        version: version || 1,
        commentCount: 0,
        archivedAt: null,
        archivedWithList: false,
      };
      return { ...state, tasks: { ...state.tasks, [id]: task } };
    }
    case "task.updated":
    case "task.moved":
    case "task.assigned":
    case "task.unassigned": {
      const id = str(d.taskId);
      const task = id ? state.tasks[id] : undefined;
      if (!id || !task || (version && version <= task.version)) return state;
      let next: Task = { ...task, version: version || task.version };
      if (push.type === "task.updated") next = pick(next, d, ["title", "description", "labelIds", "startDate", "dueDate", "dueComplete", "updatedAt"]);
      if (push.type === "task.moved") next = { ...next, listId: str(d.toListId) ?? task.listId, position: str(d.position) ?? task.position };
      const userId = str(d.userId);
      if (push.type === "task.assigned" && userId && !next.assigneeIds.includes(userId)) next = { ...next, assigneeIds: [...next.assigneeIds, userId] };
      if (push.type === "task.unassigned" && userId) next = { ...next, assigneeIds: next.assigneeIds.filter((a) => a !== userId) };
      return { ...state, tasks: { ...state.tasks, [id]: next } };
    }
    case "task.deleted": {
      const id = str(d.taskId);
      if (!id || !state.tasks[id]) return state;
      const tasks = { ...state.tasks };
      delete tasks[id];
      return { ...state, tasks };
    }
    case "comment.created":
    case "comment.deleted": {
      // The count the write produced, at the task version it produced: applied like a task
      // event, so a replayed or late push changes nothing.
      const id = str(d.taskId);
      const task = id ? state.tasks[id] : undefined;
      const taskVersion = num(d.taskVersion);
      if (!id || !task || !taskVersion || taskVersion <= task.version) return state;
      return { ...state, tasks: { ...state.tasks, [id]: { ...task, version: taskVersion, commentCount: num(d.commentCount) } } };
    }
    // Archive and restore: what is archived leaves the board (a list with its cards); what is
    // restored comes back as if created (its data carries everything a new one does).
    case "board.archived":
    case "board.restored":
      if (version && version <= board.version) return state;
      return { ...state, board: { ...board, archivedAt: push.type === "board.archived" ? (str(d.archivedAt) ?? push.occurredAt) : null, version: version || board.version } };
    case "list.archived":
      return applyPush(state, { ...push, type: "list.deleted" }, me);
    case "list.restored": {
      const id = str(d.listId);
      const lists = board.lists.filter((l) => l.id !== id);
      return applyPush({ ...state, board: { ...board, lists } }, { ...push, type: "list.created" }, me);
    }
    case "task.archived":
      return applyPush(state, { ...push, type: "task.deleted" }, me);
    case "task.restored": {
      const id = str(d.taskId);
      const known = id ? state.tasks[id] : undefined;
      if (!id || (known && version && version <= known.version)) return state;
      const tasks = { ...state.tasks };
      delete tasks[id];
      return applyPush({ ...state, tasks }, { ...push, type: "task.created" }, me);
    }
    default:
      return state;
  }
}

/** A board's labels follow their pushes; a deleted label leaves every card at once (the
 * task.updated of each card follows, and is not sent to the socket that deleted it). */
function applyLabelPush(state: BoardState, type: string, d: Record<string, unknown>): BoardState {
  const board = state.board;
  const labels = board.labels ?? [];
  const id = str(d.labelId);
  if (!id) return state;
  if (type === "board.label_deleted") return withoutLabel(state, id);
  const current = labels.find((label) => label.id === id);
  const name = str(d.name) ?? current?.name ?? "";
  const color = isLabelColor(d.color) ? d.color : isLabelColor(current?.color) ? current.color : "black";
  const label: Label = { ...makeLabel(id, name, color), ...LABEL_COLORS[color] };
  const next = current ? labels.map((l) => (l.id === id ? label : l)) : [...labels, label];
  return { ...state, board: { ...board, labels: next } };
}

function withoutLabel(state: BoardState, labelId: string): BoardState {
  const tasks = Object.fromEntries(
    Object.entries(state.tasks).map(([id, t]) => [id, t.labelIds.includes(labelId) ? { ...t, labelIds: t.labelIds.filter((l) => l !== labelId) } : t]),
  );
  return { ...state, tasks, board: { ...state.board, labels: (state.board.labels ?? []).filter((l) => l.id !== labelId) } };
}

export function reduce(state: BoardState | null, action: BoardAction): BoardState | null {
  if (action.type === "loaded") {
    const next = initialState(action.board, action.tasks, action.seq ?? state?.seq ?? 0);
    return state?.closed ? { ...next, closed: state.closed } : next;
  }
  if (!state) return state;
  switch (action.type) {
    case "push": {
      const seq = action.push.seq;
      if (seq !== null && seq <= state.seq) return state;
      const next = applyPush(state, action.push, action.me);
      return seq === null ? next : { ...next, seq };
    }
    case "seq":
      return { ...state, seq: Math.max(state.seq, action.seq) };
    case "board":
      return { ...state, board: { ...state.board, ...action.board } };
    case "members":
      return { ...state, membersStale: false, board: { ...state.board, members: action.members } };
    case "listPut": {
      const lists = state.board.lists.filter((l) => l.id !== action.list.id && l.id !== action.replaces);
      return { ...state, board: { ...state.board, lists: sortLists([...lists, action.list]) } };
    }
    case "listRemove": {
      const tasks = Object.fromEntries(Object.entries(state.tasks).filter(([, t]) => t.listId !== action.listId));
      return { ...state, tasks, board: { ...state.board, lists: state.board.lists.filter((l) => l.id !== action.listId) } };
    }
    case "taskPut": {
      const tasks = { ...state.tasks };
      if (action.replaces) delete tasks[action.replaces];
      tasks[action.task.id] = action.task;
      return { ...state, tasks };
    }
    case "close":
      return { ...state, closed: state.closed ?? action.message };
    case "labelPut": {
      const labels = state.board.labels ?? [];
      const matches = (l: Label) => l.id === action.label.id || l.id === action.replaces;
      const at = labels.findIndex(matches);
      const next = at < 0 ? [...labels, action.label] : labels.flatMap((l, i) => (i === at ? [action.label] : matches(l) ? [] : [l]));
      return { ...state, board: { ...state.board, labels: next } };
    }
    case "labelRemove":
      return withoutLabel(state, action.labelId);
    case "taskRemove": {
      const tasks = { ...state.tasks };
      delete tasks[action.taskId];
      return { ...state, tasks };
    }
  }
}
