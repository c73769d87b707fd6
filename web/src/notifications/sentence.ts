// A notification as a sentence and a link, from the fields it carries (no lookups): the web
// app's counterpart of the notification service's e-mail text.
import type { AppNotification } from "../api/types";

function quoted(value: unknown, fallback: string): string {
  return typeof value === "string" && value ? `“${value}”` : fallback;
}

export function notificationSentence(n: AppNotification): string {
  const data = n.data as Record<string, unknown>;
  const who = typeof data.actorName === "string" && data.actorName ? data.actorName : "Someone";
  const task = quoted(data.taskTitle, "a card");
  const board = quoted(data.boardTitle, "a board");
  switch (n.kind) {
    case "task.assigned":
      return `${who} assigned you to ${task} on ${board}.`;
    case "task.moved":
      return `${who} moved ${task} to ${quoted(data.toListTitle, "another list")} on ${board}.`;
    case "task.commented":
      return `${who} commented on ${task} on ${board}.`;
    case "comment.mention":
      return `${who} mentioned you in a comment on ${task} on ${board}.`;
    case "task.due_soon":
      return `${task} on ${board} is due within 24 hours.`;
    case "board.member_added":
      return `${who} added you to ${board}.`;
    case "board.member_removed":
      return `${who} removed you from ${board}.`;
    case "webhook.endpoint_disabled":
      return `The webhook to ${quoted(data.url, "an endpoint")} on ${board} was disabled: it kept failing.`;
    default:
      return "Something happened on one of your boards.";
  }
}

/** Where the notification leads: the card, the board, or (after a removal) the boards page. */
export function notificationLink(n: AppNotification): string {
  if (n.kind === "board.member_removed" || !n.boardId) return "/";
  return n.taskId ? `/boards/${n.boardId}/cards/${n.taskId}` : `/boards/${n.boardId}`;
}

/** The board a notification is about, as its sentence names it. */
export function notificationBoard(n: AppNotification): string {
  const data = n.data as Record<string, unknown>;
  return quoted(data.boardTitle, "the board");
}
