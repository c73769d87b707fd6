// The board filter: what the URL says (?q=&labelIds=&assignee=&due=&archived=), and which cards it
// keeps.
// The same rules as the API's filter (services/task/src/hintro_task/searching.py): words are
// the runs of letters and digits after decomposing, dropping accents and lower-casing; every
// word typed must start a word of the title or description; labels, assignees and due dates
// each match any of their chosen values (comma-separated in the URL); the facets combine (all must
// hold); `archived=true` shows the archived cards instead of the live ones.

export type DueChoice = "overdue" | "week" | "none" | "done";
export const DUE_CHOICES: readonly DueChoice[] = ["overdue", "week", "none", "done"];
const WORD_MAX = 32;
const WEEK_MS = 7 * 24 * 3600 * 1000;

export interface TaskFilter {
  q: string;
  labelIds: string[];
  /** User ids, "me" or "none". */
  assignees: string[];
  due: DueChoice[];
  /** The archived cards instead of the live ones. */
  archived: boolean;
}

/** What the filter reads of a card (a Task has all of these; the optional ones may be absent). */
export interface FilterableTask {
  title: string;
  description: string;
  assigneeIds: string[];
  labelIds?: string[];
  dueDate?: string | null;
  dueComplete?: boolean;
  archivedAt?: string | null;
}

export const EMPTY_FILTER: TaskFilter = { q: "", labelIds: [], assignees: [], due: [], archived: false };

/** The words of a text, compared the way the server compares them. */
export function words(text: string): string[] {
  const folded = text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  return (folded.match(/[\p{L}\p{N}]+/gu) ?? []).map((word) => word.slice(0, WORD_MAX));
}

/** The distinct words of a query, as the server takes them (at most 8). */
export function queryTerms(q: string): string[] {
  return [...new Set(words(q))].slice(0, 8);
}

function list(value: string | null): string[] {
  return (value ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

/** The filter a URL's query describes (unknown due values are ignored). */
export function parseFilter(params: URLSearchParams): TaskFilter {
  return {
    q: params.get("q") ?? "",
    labelIds: list(params.get("labelIds")),
    assignees: list(params.get("assignee")),
    due: list(params.get("due")).filter((value): value is DueChoice => (DUE_CHOICES as readonly string[]).includes(value)),
    archived: params.get("archived") === "true",
  };
}

/** `params` with the filter's values set (and the empty ones removed), other params kept. */
export function withFilter(params: URLSearchParams, filter: TaskFilter): URLSearchParams {
  const next = new URLSearchParams(params);
  const put = (name: string, value: string) => (value ? next.set(name, value) : next.delete(name));
  put("q", filter.q);
  put("labelIds", filter.labelIds.join(","));
  put("assignee", filter.assignees.join(","));
  put("due", filter.due.join(","));
  put("archived", filter.archived ? "true" : "");
  return next;
}

export function isActive(filter: TaskFilter): boolean {
  return queryTerms(filter.q).length > 0 || filter.labelIds.length > 0 || filter.assignees.length > 0 || filter.due.length > 0 || filter.archived;
}

/** `values` with `value` added, or removed when it is there (a facet's checkbox). */
export function toggled<T extends string>(values: readonly T[], value: T): T[] {
  return values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
}

function dueMatches(task: FilterableTask, choice: DueChoice, now: number): boolean {
  const due = task.dueDate ? Date.parse(task.dueDate) : null;
  if (choice === "none") return due === null;
  if (choice === "done") return due !== null && Boolean(task.dueComplete);
  if (due === null || task.dueComplete) return false;
  if (choice === "overdue") return due < now;
  return now <= due && due <= now + WEEK_MS;
}

/** A predicate for the cards `filter` keeps, for the user `meId` at time `now` (ms). */
export function taskMatcher(filter: TaskFilter, meId: string, now: number): (task: FilterableTask) => boolean {
  const terms = queryTerms(filter.q);
  const labels = new Set(filter.labelIds);
  return (task) => {
    if (Boolean(task.archivedAt) !== filter.archived) return false;
    if (terms.length) {
      const found = [...words(task.title), ...words(task.description)];
      if (!terms.every((term) => found.some((word) => word.startsWith(term)))) return false;
    }
    if (labels.size && !(task.labelIds ?? []).some((id) => labels.has(id))) return false;
    if (filter.assignees.length) {
      const ok = filter.assignees.some((value) =>
        value === "none" ? task.assigneeIds.length === 0 : task.assigneeIds.includes(value === "me" ? meId : value),
      );
      if (!ok) return false;
    }
    return filter.due.length === 0 || filter.due.some((choice) => dueMatches(task, choice, now));
  };
}

/** The cards of `tasks` that `filter` keeps (the same object when no filter is set). */
export function filterTasks<T extends FilterableTask>(tasks: Record<string, T>, filter: TaskFilter, meId: string, now: number): Record<string, T> {
  if (!isActive(filter)) return tasks;
  const keep = taskMatcher(filter, meId, now);
  return Object.fromEntries(Object.entries(tasks).filter(([, task]) => keep(task)));
}

/** Text split into plain and marked parts by `[start, end)` ranges (search hits' marks). */
export function marked(text: string, marks: [number, number][]): { text: string; mark: boolean }[] {
  const parts: { text: string; mark: boolean }[] = [];
  let at = 0;
  for (const [start, end] of [...marks].sort((a, b) => a[0] - b[0])) {
    if (start < at || end > text.length) continue;
    if (start > at) parts.push({ text: text.slice(at, start), mark: false });
    parts.push({ text: text.slice(start, end), mark: true });
    at = end;
  }
  if (at < text.length) parts.push({ text: text.slice(at), mark: false });
  return parts;
}
