// The board's labels (board menu "Labels"): every member sees them; owners and editors create,
// rename, recolour and delete them. A change shows on every card at once, since cards name their
// labels by id.
import { useState, type FormEvent } from "react";
import type { Label } from "../api/types";
import { Confirm } from "../components/Modal";
import { COLOR_NAMES, isLabelColor, type LabelColor } from "../lib/labels";
import { LabelChip } from "./LabelChip";
import type { LabelOps } from "./labelOps";

interface Props {
  labels: Label[];
  canEdit: boolean;
  ops: LabelOps;
  /** How many cards carry each label, for the deletion's warning. */
  usage(labelId: string): number;
}

function ColorSelect({ id, value, label }: { id: string; value: LabelColor; label: string }) {
  return (
    <>
      <label className="sr-only" htmlFor={id}>
        {label}
      </label>
      <select id={id} name="color" defaultValue={value}>
        {COLOR_NAMES.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </>
  );
}

function LabelRow({ label, canEdit, ops, usage }: { label: Label; canEdit: boolean; ops: LabelOps; usage: number }) {
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const color: LabelColor = isLabelColor(label.color) ? label.color : "black";

  function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const name = String(form.get("name") ?? "").trim();
    const nextColor = String(form.get("color") ?? color);
    const changes: { name?: string; color?: LabelColor } = {};
    if (name && name !== label.name) changes.name = name;
    if (isLabelColor(nextColor) && nextColor !== color) changes.color = nextColor;
    if (Object.keys(changes).length > 0) void ops.updateLabel(label, changes);
    setEditing(false);
  }

  return (
    <li className="label-row" data-testid="label-row" data-label-id={label.id}>
      {editing ? (
        <form className="row" onSubmit={save}>
          <label className="sr-only" htmlFor={`label-name-${label.id}`}>
            Name of label {label.name}
          </label>
          <input id={`label-name-${label.id}`} name="name" defaultValue={label.name} maxLength={50} required autoFocus />
          <ColorSelect id={`label-color-${label.id}`} value={color} label={`Colour of label ${label.name}`} />
          <button type="submit" className="primary">
            Save
          </button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <>
          <LabelChip label={label} />
          <span className="muted small">{label.color}</span>
          <span className="grow" />
          {canEdit && (
            <>
              <button type="button" onClick={() => setEditing(true)} aria-label={`Edit label ${label.name}`}>
                Edit
              </button>
              <button type="button" className="danger" onClick={() => setDeleting(true)} aria-label={`Delete label ${label.name}`}>
                Delete
              </button>
            </>
          )}
        </>
      )}
      {deleting && (
        <Confirm
          title="Delete label?"
          message={`“${label.name}” will be removed from the board${usage ? ` and from ${usage} card${usage === 1 ? "" : "s"}` : ""}.`}
          confirmLabel="Delete label"
          onConfirm={() => ops.deleteLabel(label)}
          onClose={() => setDeleting(false)}
        />
      )}
    </li>
  );
}

export function LabelsPanel({ labels, canEdit, ops, usage }: Props) {
  function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "").trim();
    const color = String(data.get("color") ?? "green");
    if (!name || !isLabelColor(color)) return;
    void ops.createLabel(name, color);
    form.reset();
  }

  return (
    <aside className="side-panel" aria-labelledby="labels-heading" data-testid="labels-panel">
      <h2 id="labels-heading">Labels</h2>
      {labels.length === 0 && <p className="muted">This board has no labels yet.</p>}
      <ul className="plain labels">
        {labels.map((label) => (
          <LabelRow key={label.id} label={label} canEdit={canEdit} ops={ops} usage={usage(label.id)} />
        ))}
      </ul>
      {canEdit && (
        <form className="stack" onSubmit={create}>
          <label htmlFor="new-label-name">New label</label>
          <input id="new-label-name" name="name" placeholder="Label name" maxLength={50} required />
          <div className="row">
            <ColorSelect id="new-label-color" value="green" label="Colour of the new label" />
            <button type="submit" className="primary">
              Create label
            </button>
          </div>
        </form>
      )}
    </aside>
  );
}
