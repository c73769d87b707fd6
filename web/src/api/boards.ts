// Loading a board: the board with its lists and members, then every task in one call.
import { ApiError } from "./errors";
import { api, get } from "./client";
import type { BoardWithLists, Page, Task } from "./types";

export async function fetchAllTasks(boardId: string, signal?: AbortSignal): Promise<Task[]> {
  const base = `/api/boards/${encodeURIComponent(boardId)}/tasks`;
  try {
    return (await get<Page<Task>>(`${base}?all=true`, signal)).items;
  } catch (error) {
    // A gateway without `all=true` refuses the parameter: walk the cursor pages instead.
    if (!(error instanceof ApiError) || error.status !== 422) throw error;
  }
  const tasks: Task[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page: Page<Task> = await get<Page<Task>>(`${base}?limit=100${query}`, signal);
    tasks.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return tasks;
}

/** The board's archived cards, the latest archived first (one response: no pages). */
export async function fetchArchivedTasks(boardId: string): Promise<Task[]> {
  return (await get<Page<Task>>(`/api/boards/${encodeURIComponent(boardId)}/tasks?archived=true`)).items;
}

export async function fetchBoard(boardId: string, signal?: AbortSignal): Promise<{ board: BoardWithLists; tasks: Task[] }> {
  const [board, tasks] = await Promise.all([
    get<BoardWithLists>(`/api/boards/${encodeURIComponent(boardId)}`, signal),
    fetchAllTasks(boardId, signal),
  ]);
  return { board, tasks };
}

export const paths = {
  board: (id: string) => `/api/boards/${encodeURIComponent(id)}`,
  lists: (boardId: string) => `/api/boards/${encodeURIComponent(boardId)}/lists`,
  list: (id: string) => `/api/lists/${encodeURIComponent(id)}`,
  tasks: (boardId: string) => `/api/boards/${encodeURIComponent(boardId)}/tasks`,
  task: (id: string) => `/api/tasks/${encodeURIComponent(id)}`,
  move: (id: string) => `/api/tasks/${encodeURIComponent(id)}/move`,
  assignee: (taskId: string, userId: string) => `/api/tasks/${encodeURIComponent(taskId)}/assignees/${encodeURIComponent(userId)}`,
  members: (boardId: string) => `/api/boards/${encodeURIComponent(boardId)}/members`,
  member: (boardId: string, userId: string) => `/api/boards/${encodeURIComponent(boardId)}/members/${encodeURIComponent(userId)}`,
  transfer: (boardId: string) => `/api/boards/${encodeURIComponent(boardId)}/transfer`,
  activity: (boardId: string) => `/api/boards/${encodeURIComponent(boardId)}/activity`,
  comments: (taskId: string) => `/api/tasks/${encodeURIComponent(taskId)}/comments`,
  comment: (id: string) => `/api/comments/${encodeURIComponent(id)}`,
  /** Archive and restore of a board, list or task (`path` is its own path). */
  archive: (path: string) => `${path}/archive`,
  restore: (path: string) => `${path}/restore`,
};

export { api };
