// A card's comments in its dialog: the composer (with @mentions), the comments newest first with
// "Show older comments", editing and deleting for who may, and live updates while the dialog is
// open. Comment text is Markdown rendered by ../../lib/markdown (React elements, never HTML).
//
// Comment writes are sent without X-Socket-Id: their push carries the task's new comment count
// and version, which the board applies from every socket, ours included (the answer has the
// comment, not the count).
import { useCallback, useEffect, useRef, useState } from "react";
import { api, get } from "../../api/client";
import { paths } from "../../api/boards";
import { sentence } from "../../api/errors";
import { liveSocket } from "../../api/live";
import type { Comment, CommentPage, Member, Push, Task } from "../../api/types";
import { Avatar, displayName } from "../../components/Avatar";
import { Confirm } from "../../components/Modal";
import { useNotices } from "../../components/Notices";
import { Markdown } from "../../lib/markdown";
import { when } from "../ActivityPanel";
import { MentionInput } from "./MentionInput";

const PAGE = 20;

interface Props {
  task: Task;
  members: Member[];
  meId: string;
  /** Owners and editors write comments; viewers read them. */
  canComment: boolean;
}

const newestFirst = (a: Comment, b: Comment) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1);

/** `fresh` (the newest page) merged into what is shown: its comments replace theirs, older ones
 * already loaded stay, and those the newest page should hold but does not are gone. */
export function mergeNewest(shown: Comment[], fresh: Comment[], complete: boolean): Comment[] {
  const ids = new Set(fresh.map((c) => c.id));
  const oldest = fresh.at(-1);
  const older = shown.filter((c) => !ids.has(c.id) && !complete && oldest !== undefined && newestFirst(oldest, c) < 0);
  return [...fresh, ...older].sort(newestFirst);
}

export default function Comments({ task, members, meId, canComment }: Props) {
  const notices = useNotices();
  const [items, setItems] = useState<Comment[]>([]);
  // The older page's cursor; undefined until the first page came.
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const [draft, setDraft] = useState("");
  const [sending, setSending] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [editing, setEditing] = useState<{ id: string; text: string } | null>(null);
  const [deleting, setDeleting] = useState<Comment | null>(null);
  const taskId = task.id;
  const isOwner = members.some((m) => m.userId === meId && m.role === "owner");
  const error = useRef(notices.error);
  error.current = notices.error;

  const refresh = useCallback(async () => {
    try {
      const page = await get<CommentPage>(`${paths.comments(taskId)}?limit=${PAGE}`);
      setItems((shown) => mergeNewest(shown, page.items, page.next === null));
      setNext((old) => (old === undefined || page.next === null ? page.next : old));
    } catch (failure) {
      error.current(sentence(failure, "comment"));
    }
  }, [taskId]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  // Others' comments on this card while it is open.
  useEffect(() => {
    const socket = liveSocket();
    const onPush = (push: Push) => {
      if (!push.type.startsWith("comment.") || push.data.taskId !== taskId) return;
      if (push.type === "comment.deleted") setItems((shown) => shown.filter((c) => c.id !== push.data.commentId));
      else void refresh();
    };
    socket.on("event", onPush);
    return () => {
      socket.off("event", onPush);
    };
  }, [taskId, refresh]);

  async function more() {
    if (!next || loadingMore) return;
    setLoadingMore(true);
    try {
      const page = await get<CommentPage>(`${paths.comments(taskId)}?limit=${PAGE}&cursor=${encodeURIComponent(next)}`);
      setItems((shown) => [...shown, ...page.items.filter((c) => !shown.some((s) => s.id === c.id))].sort(newestFirst));
      setNext(page.next);
    } catch (failure) {
      notices.error(sentence(failure, "comment"));
    } finally {
      setLoadingMore(false);
    }
  }

  async function send() {
    const text = draft.trim();
    if (!text || sending) return;
    setSending(true);
    try {
      const saved = await api<Comment>("POST", paths.comments(taskId), { body: { text }, echo: true });
      setItems((shown) => [saved, ...shown.filter((c) => c.id !== saved.id)].sort(newestFirst));
      setDraft("");
    } catch (failure) {
      notices.error(sentence(failure, "comment"));
    } finally {
      setSending(false);
    }
  }

  async function saveEdit() {
    if (!editing) return;
    const text = editing.text.trim();
    if (!text) return;
    try {
      const saved = await api<Comment>("PATCH", paths.comment(editing.id), { body: { text }, echo: true });
      setItems((shown) => shown.map((c) => (c.id === saved.id ? saved : c)));
      setEditing(null);
    } catch (failure) {
      notices.error(sentence(failure, "comment"));
    }
  }

  async function remove(comment: Comment) {
    setItems((shown) => shown.filter((c) => c.id !== comment.id));
    try {
      await api("DELETE", paths.comment(comment.id), { echo: true });
    } catch (failure) {
      notices.error(sentence(failure, "comment"));
      void refresh();
    }
  }

  const member = (userId: string) => members.find((m) => m.userId === userId);

  return (
    <section className="comments" aria-labelledby={`comments-${taskId}`} data-testid="comments">
      <h3 id={`comments-${taskId}`}>Comments</h3>
      {canComment && (
        <form
          className="stack comment-composer"
          onSubmit={(event) => {
            event.preventDefault();
            void send();
          }}
        >
          <MentionInput label="Write a comment" value={draft} members={members} meId={meId} onChange={setDraft} onSubmit={() => void send()} testId="comment-input" />
          <p className="hint">Markdown works: **bold**, *italic*, `code`, lists, links. Type @ to mention a member.</p>
          <div className="row end">
            <button type="submit" className="primary" disabled={sending || !draft.trim()}>
              Comment
            </button>
          </div>
        </form>
      )}
      <ol className="plain comment-list" aria-label="Comments, newest first">
        {items.map((comment) => {
          const mine = comment.authorId === meId;
          const author = member(comment.authorId);
          return (
            <li key={comment.id} className="comment" data-testid="comment">
              <div className="comment-head">
                <Avatar member={author} small />
                {comment.imported ? (
                  // Written elsewhere (an import): its author and date there, and who brought it.
                  <>
                    <strong>{comment.imported.authorName}</strong>
                    <span className="muted small" data-testid="comment-imported">
                      imported by {displayName(author, meId)}
                    </span>
                    <time className="muted small" dateTime={comment.imported.createdAt}>
                      {when(comment.imported.createdAt)}
                    </time>
                  </>
                ) : (
                  <>
                    <strong>{displayName(author, meId)}</strong>
                    <time className="muted small" dateTime={comment.createdAt}>
                      {when(comment.createdAt)}
                    </time>
                  </>
                )}
                {comment.version > 1 && <span className="muted small">(edited)</span>}
              </div>
              {editing?.id === comment.id ? (
                <form
                  className="stack"
                  onSubmit={(event) => {
                    event.preventDefault();
                    void saveEdit();
                  }}
                >
                  <MentionInput
                    label="Edit your comment"
                    value={editing.text}
                    members={members}
                    meId={meId}
                    autoFocus
                    onChange={(text) => setEditing({ id: comment.id, text })}
                    onSubmit={() => void saveEdit()}
                  />
                  <div className="row end">
                    <button type="button" onClick={() => setEditing(null)}>
                      Cancel
                    </button>
                    <button type="submit" className="primary" disabled={!editing.text.trim()}>
                      Save
                    </button>
                  </div>
                </form>
              ) : (
                <div className="comment-body" data-testid="comment-body">
                  <Markdown
                    text={comment.text}
                    options={{
                      mentionName: (id) => member(id)?.name || undefined,
                      isMention: (id) => comment.mentions.includes(id),
                    }}
                  />
                </div>
              )}
              {editing?.id !== comment.id && ((mine && canComment) || isOwner) && (
                <div className="row comment-actions">
                  {mine && canComment && (
                    <button type="button" className="link-button" onClick={() => setEditing({ id: comment.id, text: comment.text })}>
                      Edit
                    </button>
                  )}
                  <button type="button" className="link-button" onClick={() => setDeleting(comment)}>
                    Delete
                  </button>
                </div>
              )}
            </li>
          );
        })}
        {next === undefined && <li className="muted">Loading comments…</li>}
        {next === null && items.length === 0 && <li className="muted">No comments yet.</li>}
      </ol>
      {next && (
        <button type="button" className="link-button" onClick={() => void more()} disabled={loadingMore}>
          {loadingMore ? "Loading older comments…" : "Show older comments"}
        </button>
      )}
      {deleting && (
        <Confirm
          title="Delete comment?"
          message="The comment will be deleted for everyone on the board."
          confirmLabel="Delete comment"
          onConfirm={() => void remove(deleting)}
          onClose={() => setDeleting(null)}
        />
      )}
    </section>
  );
}
