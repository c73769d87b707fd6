// What went wrong with a request, and the sentence a person reads about it. People never see a
// status code: every refusal the API documents maps to a sentence saying what happened and what
// to do.

export interface FieldError {
  loc: (string | number)[];
  msg: string;
  type?: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly errors: FieldError[];
  /** Seconds to wait (Retry-After), when the server said. */
  readonly retryAfter: number | null;

  constructor(status: number, detail: string, errors: FieldError[] = [], retryAfter: number | null = null) {
    super(detail || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.errors = errors;
    this.retryAfter = retryAfter;
  }
}

/** status 0: the request never got an answer (offline, gateway down). */
export const NETWORK = 0;

/** What the person was doing, so the sentence can name it. */
export type Action =
  | "signin"
  | "signup"
  | "invite"
  | "leave"
  | "board"
  | "list"
  | "card"
  | "comment"
  | "move"
  | "member"
  | "transfer"
  | "load"
  | "label"
  | "checklist"
  | "webhook";

const THING: Record<Action, string> = {
  signin: "account",
  signup: "account",
  invite: "person",
  leave: "board",
  board: "board",
  list: "list",
  card: "card",
  comment: "comment",
  move: "card",
  member: "member",
  transfer: "member",
  load: "board",
  checklist: "checklist",
  label: "label",
  webhook: "webhook",
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export function sentence(error: unknown, action: Action): string {
  if (!(error instanceof ApiError)) {
    return "Something went wrong in this page. Reload it and try again.";
  }
  const thing = THING[action];
  switch (error.status) {
    case NETWORK:
      return "Hintro could not be reached. Check your connection and try again.";
    case 401:
      if (action === "signin") return "That e-mail and password do not match an account.";
      return "Your session has ended. Please sign in again.";
    case 403:
      return "Your role on this board does not allow that change.";
    case 404:
      if (action === "invite") return "No one with that e-mail address has a Hintro account yet.";
      if (action === "board" || action === "load" || action === "leave")
        return "This board no longer exists, or you are no longer a member of it.";
      return `That ${thing} no longer exists; someone may have deleted it.`;
    case 409:
      if (action === "signup") return "An account with this e-mail address already exists. Sign in instead.";
      if (action === "invite") return "That person is already a member of this board.";
      if (action === "leave") return "The owner cannot leave the board. Transfer ownership to another member first.";
      if (action === "member" || action === "transfer") return "The owner's role cannot be changed that way.";
      // Webhook refusals (disabled endpoint, too many endpoints) are sentences already.
      if (action === "webhook" && error.detail) return error.detail;
      // Archive rules (an archived thing cannot change; only an archived one can be deleted):
      // the server's sentence says which and what to do.
      if (/archive/i.test(error.detail)) return error.detail;
      return "Others were changing this at the same moment. Please try again.";
    case 412:
      return `Someone else changed this ${thing} while you were editing it. You now see their version; make your change again if you still want it.`;
    case 413:
      return "That is too long to save.";
    case 422: {
      if (action === "checklist" && error.errors.some((e) => e.msg.includes("at most")))
        return "That checklist is full: a task has at most 20 checklists, a checklist at most 100 items.";
      const anchor = error.errors.some((e) => e.type === "invalid_anchor" || e.loc.includes("afterId") || e.loc.includes("beforeId"));
      if (anchor) return "The place you chose changed meanwhile. The board is refreshed; please try again.";
      if (error.errors.some((e) => e.type === "list_archived" || e.type === "list_deleted")) return error.detail;
      if (error.errors.some((e) => e.loc.includes("assigneeIds") || e.loc.includes("assigneeId") || (e.loc.includes("userId") && action === "card")))
        return "Only members of the board can be assigned.";
      if (error.errors.some((e) => e.loc.includes("labelIds"))) return "That label is no longer on this board. The board is refreshed.";
      // A refused webhook URL: the server's sentence says why (https only, no internal address).
      if (action === "webhook" && error.errors.some((e) => e.loc.includes("url")) && error.detail) return error.detail;
      if (action === "webhook" && error.errors.some((e) => e.loc.includes("eventTypes"))) return "Choose at least one event for the webhook.";
      if (error.errors.some((e) => (e.loc.includes("startDate") || e.loc.includes("dueDate")) && e.msg.includes("start date")))
        return "The start date must not be after the due date.";
      const first = error.errors[0];
      if (first) {
        const field = first.loc.filter((part) => typeof part === "string" && !["body", "query", "path"].includes(part)).join(" ");
        return field ? `Please check the ${field}: ${first.msg.toLowerCase()}.` : `That was not accepted: ${first.msg.toLowerCase()}.`;
      }
      return "That was not accepted. Please check what you typed.";
    }
    case 429: {
      const wait = error.retryAfter ?? 1;
      return `Too many requests in a short time. Please wait ${plural(wait, "second")} and try again.`;
    }
    default:
      if (error.status >= 500) return "Hintro is having trouble right now. Please try again in a moment.";
      return "That did not work. Please try again.";
  }
}
