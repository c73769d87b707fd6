// The API's shapes, from the generated OpenAPI types (npm run gen:api), plus what the web app
// derives from them.
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Role = "owner" | "editor" | "viewer";
export type User = Schemas["UserOut"];
export type List = Schemas["ListOut"];
/** A task as the app holds it. `checklistProgress` is optional here: a task made from a push
 * (`task.created`, `task.restored`) or by an optimistic write may not say it; absent means 0/0. */
export type Task = Omit<Schemas["TaskOut"], "checklistProgress"> & { checklistProgress?: Schemas["ChecklistProgressOut"] };
export type Entry = Schemas["EntryOut"];
/** A comment as the app holds it. `imported` is optional here: a comment made from a push
 * (`comment.created`) or by an optimistic write does not say it; absent means not imported. */
export type Comment = Omit<Schemas["CommentOut"], "imported"> & { imported?: Schemas["ImportedOut"] | null };
export type CommentPage = Schemas["CommentPage"];
export type ActivityPage = Schemas["ActivityPage"];
export type ChecklistProgress = Schemas["ChecklistProgressOut"];
export type Checklists = Schemas["ChecklistsOut"];
export type Checklist = Schemas["ChecklistOut"];
export type ChecklistItem = Schemas["ChecklistItemOut"];
export type SearchHit = Schemas["SearchHit"];
export type SearchResults = Schemas["SearchPage"];
export type Label = Schemas["LabelOut"];
export type Import = Schemas["ImportOut"];

/** A member as the board answers it (MemberOut). The profile fields are optional here: a member
 * the board service heard of a moment ago, or one added by a push, has no name yet. */
export interface Member {
  userId: string;
  role: Role;
  name?: string;
  email?: string;
  initials?: string;
  color?: string;
}

export type Board = Omit<Schemas["BoardOut"], "members"> & { members: Member[] };
export type BoardWithLists = Board & { lists: List[] };

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface TokenAnswer {
  accessToken: string;
  tokenType?: string;
  expiresIn: number;
  refreshToken?: string;
}

/** A Socket.IO push: `event` from the realtime service. */
export interface Push {
  id: string;
  type: string;
  boardId: string;
  seq: number | null;
  actorId: string | null;
  occurredAt: string;
  data: Record<string, unknown>;
}

export interface JoinAck {
  ok: boolean;
  seq?: number;
  resync?: boolean;
  error?: string;
  detail?: string;
}

export type AppNotification = Schemas["NotificationOut"];
export type NotificationPage = Schemas["NotificationPage"];
export type EmailChoice = Schemas["EmailSettingsOut"]["email"];
export type WebhookEndpoint = Schemas["EndpointOut"];
export type WebhookEndpointWithSecret = Schemas["EndpointWithSecret"];
export type WebhookEndpointList = Schemas["EndpointList"];
export type WebhookDelivery = Schemas["DeliveryOut"];
export type WebhookDeliveryPage = Schemas["DeliveryPageOut"];
