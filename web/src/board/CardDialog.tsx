// A card in a dialog with its own URL (/boards/:boardId/cards/:cardId).
import { lazy, Suspense, useState, type FormEvent } from "react";
import type { Label, Member, Task } from "../api/types";
import { Avatar, displayName } from "../components/Avatar";
import { Modal } from "../components/Modal";
import { dateInput, fromDateInput, shortDate } from "../lib/due";
import { resolveLabels } from "../lib/labels";
import { DateFields } from "./DateFields";
import { LabelChip } from "./LabelChip";
import { LabelPicker } from "./LabelPicker";
import type { BoardOps } from "./ops";

// Comments (their Markdown renderer and mention picker) load with the first card opened.
const Comments = lazy(() => import("./card/Comments"));

interface Props {
  task: Task;
  listTitle: string;
  members: Member[];
  labels: Label[];
  meId: string;
  canEdit: boolean;
  ops: BoardOps;
  onClose(): void;
}

export function CardDialog({ task, listTitle, members, labels, meId, canEdit, ops, onClose }: Props) {
  const [saving, setSaving] = useState(false);

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const title = String(form.get("title") ?? "").trim();
    const description = String(form.get("description") ?? "");
    const dueInput = String(form.get("due") ?? "");
    const startInput = String(form.get("start") ?? "");
    const changes: Parameters<BoardOps["updateCard"]>[1] = {};
    if (title && title !== task.title) changes.title = title;
    if (description !== task.description) changes.description = description;
    if (startInput !== dateInput(task.startDate)) changes.startDate = fromDateInput(startInput);
    if (dueInput !== dateInput(task.dueDate)) changes.dueDate = fromDateInput(dueInput);
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
          <LabelPicker task={task} labels={labels} ops={ops} />
          <DateFields task={task} ops={ops} />
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
            <button
              type="button"
              onClick={() => {
                ops.archiveCard(task);
                onClose();
              }}
            >
              Archive card
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
          {task.labelIds.length > 0 && (
            <p className="card-meta">
              Labels:{" "}
              {resolveLabels(task.labelIds, labels).map((label) => (
                <LabelChip key={label.id} label={label} />
              ))}
            </p>
          )}
          {task.startDate && <p>Starts {shortDate(task.startDate)}</p>}
          {task.dueDate && (
            <p>
              Due {shortDate(task.dueDate)}
              {task.dueComplete ? " (complete)" : ""}
            </p>
          )}
          <p>
            Assigned to:{" "}
            {task.assigneeIds.length === 0 ? "no one" : task.assigneeIds.map((id) => displayName(members.find((m) => m.userId === id), meId)).join(", ")}
          </p>
        </div>
      )}
      <Suspense fallback={<p className="muted">Loading comments…</p>}>
        <Comments task={task} members={members} meId={meId} canComment={canEdit} />
      </Suspense>
    </Modal>
  );
}
