// Which of the board's labels a card carries, in the card dialog: each box toggles a label at
// once (as Trello's label picker does), saved like any card change.
import type { Label, Task } from "../api/types";
import { LabelChip } from "./LabelChip";
import type { BoardOps } from "./ops";

export function LabelPicker({ task, labels, ops }: { task: Task; labels: Label[]; ops: BoardOps }) {
  function toggle(label: Label) {
    const on = task.labelIds.includes(label.id);
    const labelIds = on ? task.labelIds.filter((id) => id !== label.id) : [...task.labelIds, label.id];
    void ops.updateCard(task, { labelIds });
  }
  return (
    <fieldset data-testid="label-picker">
      <legend>Labels</legend>
      {labels.length === 0 && <p className="muted">This board has no labels yet; add them from the board's Labels menu.</p>}
      <ul className="plain label-picker">
        {labels.map((label) => (
          <li key={label.id}>
            <label className="check">
              <input type="checkbox" checked={task.labelIds.includes(label.id)} onChange={() => toggle(label)} aria-label={`Label ${label.name}`} />
              <LabelChip label={label} />
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
