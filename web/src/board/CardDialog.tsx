// A card in a dialog with its own URL (/boards/:boardId/cards/:cardId).
import { lazy, Suspense, useState, type FormEvent } from "react";
import type { Member, Task } from "../api/types";
import { Avatar, displayName } from "../components/Avatar";
import { Confirm, Modal } from "../components/Modal";
import type { BoardOps } from "./ops";

// Comments (their Markdown renderer and mention picker) load with the first card opened.
const Comments = lazy(() => import("./card/Comments"));

interface Props {
  task: Task;
  listTitle: string;
  members: Member[];
  meId: string;
  canEdit: boolean;
  ops: BoardOps;
  onClose(): void;
}

/** The date part (YYYY-MM-DD) of a due date, for <input type="date">. */
export function dateInput(due: string | null): string {
  return due ? due.slice(0, 10) : "";
}

export function parseLabels(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(",")) {
    const label = part.trim();
    if (label) seen.add(label.slice(0, 50));
  }
  return [...seen].slice(0, 20);
}

export function CardDialog({ task, listTitle, members, meId, canEdit, ops, onClose }: Props) {
  const [deleting, setDeleting] = useState(false);
  const [saving, setSaving] = useState(false);

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const title = String(form.get("title") ?? "").trim();
    const description = String(form.get("description") ?? "");
    const labels = parseLabels(String(form.get("labels") ?? ""));
    const dueInput = String(form.get("due") ?? "");
    const dueDate = dueInput ? `${dueInput}T00:00:00Z` : null;
    const changes: Parameters<BoardOps["updateCard"]>[1] = {};
    if (title && title !== task.title) changes.title = title;
    if (description !== task.description) changes.description = description;
    if (labels.join("\n") !== task.labels.join("\n")) changes.labels = labels;
    if (dueInput !== dateInput(task.dueDate)) changes.dueDate = dueDate;
    setSaving(true);
    const saved = await ops.updateCard(task, changes);
    setSaving(false);
    if (saved || Object.keys(changes).length === 0) onClose();
  }

  return (
    <Modal title={canEdit ? "Edit card" : task.title} onClose={onClose} testId="card-dialog" wide>
      <p className="muted">In list “{listTitle}”</p>
      {canEdit ? (
        <form className="stack" onSubmit={save}>
          <label>
            Title
            <input name="title" defaultValue={task.title} required maxLength={200} />
          </label>
          <label>
            Description
            <textarea name="description" defaultValue={task.description} rows={5} maxLength={10000} />
          </label>
          <label>
            Labels <span className="hint">(separated by commas)</span>
            <input name="labels" defaultValue={task.labels.join(", ")} />
          </label>
          <label>
            Due date
            <input name="due" type="date" defaultValue={dateInput(task.dueDate)} />
          </label>
          <fieldset>
            <legend>Assignees</legend>
            {members.length === 0 && <p className="muted">No members.</p>}
            <ul className="plain">
              {members.map((member) => {
                const assigned = task.assigneeIds.includes(member.userId);
                return (
                  <li key={member.userId}>
                    <label className="check">
                      <input type="checkbox" checked={assigned} onChange={() => ops.setAssignee(task, member, !assigned)} />
                      <Avatar member={member} small />
                      {displayName(member, meId)}
                    </label>
                  </li>
                );
              })}
            </ul>
          </fieldset>
          <div className="row end">
            <button type="button" className="danger" onClick={() => setDeleting(true)}>
              Delete card
            </button>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={saving}>
              Save
            </button>
          </div>
        </form>
      ) : (
        <div className="stack">
          <p className="description">{task.description || "No description."}</p>
          {task.labels.length > 0 && <p>Labels: {task.labels.join(", ")}</p>}
          {task.dueDate && <p>Due {dateInput(task.dueDate)}</p>}
          <p>
            Assigned to:{" "}
            {task.assigneeIds.length === 0 ? "no one" : task.assigneeIds.map((id) => displayName(members.find((m) => m.userId === id), meId)).join(", ")}
          </p>
        </div>
      )}
      <Suspense fallback={<p className="muted">Loading comments…</p>}>
        <Comments key={task.id} task={task} members={members} meId={meId} canComment={canEdit} />
      </Suspense>
      {deleting && (
        <Confirm
          title="Delete card?"
          message={`“${task.title}” will be deleted for everyone on the board.`}
          confirmLabel="Delete card"
          onConfirm={() => {
            ops.deleteCard(task);
            onClose();
          }}
          onClose={() => setDeleting(false)}
        />
      )}
    </Modal>
  );
}
