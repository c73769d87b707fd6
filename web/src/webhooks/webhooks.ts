// The webhook section's pure logic: event types grouped for the checkboxes, a URL checked before
// it is sent, and each delivery of the log as a sentence (never a status code alone).
import type { WebhookDelivery } from "../api/types";

const GROUP_TITLES: Record<string, string> = {
  board: "Board",
  labels: "Labels",
  list: "Lists",
  task: "Cards",
  comment: "Comments",
};

export interface EventGroup {
  key: string;
  title: string;
  types: string[];
}

/** The event types an endpoint may choose, grouped by what they are about, in a fixed order. */
export function groupEventTypes(types: readonly string[]): EventGroup[] {
  const order = Object.keys(GROUP_TITLES);
  const groups = new Map<string, string[]>();
  for (const type of [...types].sort()) {
    const key = type.split(".", 1)[0] ?? type;
    groups.set(key, [...(groups.get(key) ?? []), type]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b))
    .map(([key, list]) => ({ key, title: GROUP_TITLES[key] ?? key, types: list }));
}

/** Why a URL will not do, in a sentence, or null when it may be sent (the server checks again,
 * including the addresses its host resolves to). */
export function urlProblem(text: string): string | null {
  const value = text.trim();
  if (!value) return "Enter the URL that should receive the events.";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "That is not a web address; it should look like https://example.com/hooks.";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "The URL must start with https://.";
  if (url.username || url.password) return "The URL must not contain a user name or password.";
  return null;
}

function when(iso: string | null | undefined, now: number): string {
  if (!iso) return "";
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const ahead = seconds >= 0;
  const span = Math.abs(seconds);
  const text = span < 60 ? `${span} s` : span < 3600 ? `${Math.round(span / 60)} min` : `${Math.round(span / 3600)} h`;
  return ahead ? `in ${text}` : `${text} ago`;
}

function attemptsText(n: number): string {
  return `${n} attempt${n === 1 ? "" : "s"}`;
}

/** A delivery of the log as a sentence, e.g. "Delivered after 3 attempts." */
export function deliverySentence(d: WebhookDelivery, now: number = Date.now()): string {
  const answer = d.lastStatusCode ? `the endpoint answered ${d.lastStatusCode}` : d.lastError ? d.lastError : "no answer";
  switch (d.status) {
    case "delivered":
      return d.attempts <= 1 ? "Delivered." : `Delivered after ${attemptsText(d.attempts)}.`;
    case "pending":
      if (d.attempts === 0) return "Waiting to be sent.";
      return `Failed ${attemptsText(d.attempts)} (${answer}); trying again ${when(d.nextAttemptAt, now) || "soon"}.`;
    case "failed":
      if (d.lastError === "endpoint disabled" || d.lastError === "endpoint deleted")
        return `Not delivered: the ${d.lastError.replace("endpoint ", "endpoint was ")}.`;
      return `Gave up after ${attemptsText(d.attempts)} (${answer}).`;
    default:
      return "";
  }
}
