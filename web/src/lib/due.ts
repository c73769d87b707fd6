// A task's due state as its card shows it: complete (green), overdue (red), due soon (within
// 24 hours, amber), or just a date. The state is always said in words, never by colour alone.
import type { Task } from "../api/types";

export type DueState = "complete" | "overdue" | "soon" | "later";

export const SOON_MS = 24 * 60 * 60 * 1000;

export function dueState(task: Pick<Task, "dueDate" | "dueComplete">, now: number): DueState | null {
  if (!task.dueDate) return null;
  const due = Date.parse(task.dueDate);
  if (Number.isNaN(due)) return null;
  if (task.dueComplete) return "complete";
  if (due < now) return "overdue";
  if (due - now <= SOON_MS) return "soon";
  return "later";
}

export const DUE_WORDS: Record<DueState, string> = {
  complete: "Complete",
  overdue: "Overdue",
  soon: "Due soon",
  later: "Due",
};

/** The date part (YYYY-MM-DD) of a stored date, for <input type="date">. */
export function dateInput(value: string | null | undefined): string {
  return value ? value.slice(0, 10) : "";
}

/** What a date input's value is sent as: midnight UTC of that day, or null when empty. */
export function fromDateInput(value: string): string | null {
  return value ? `${value}T00:00:00Z` : null;
}

/** A date as a short text for people ("5 Dec 2026"), in UTC like the stored dates. */
export function shortDate(value: string | null | undefined): string | null {
  if (!value) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  return date.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}
