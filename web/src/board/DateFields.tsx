// A card's dates in the card dialog: start and due dates (saved with the form) and the
// "complete" box (saved at once). The due state is said in words beside the box.
import type { Task } from "../api/types";
import { DUE_WORDS, dateInput, dueState } from "../lib/due";
import type { BoardOps } from "./ops";

export function DateFields({ task, ops }: { task: Task; ops: BoardOps }) {
  const state = dueState(task, Date.now());
  return (
    <fieldset className="dates">
      <legend>Dates</legend>
      <div className="row">
        <label>
          Start date
          <input name="start" type="date" defaultValue={dateInput(task.startDate)} />
        </label>
        <label>
          Due date
          <input name="due" type="date" defaultValue={dateInput(task.dueDate)} />
        </label>
      </div>
      <label className="check">
        <input type="checkbox" name="complete" checked={task.dueComplete} onChange={() => void ops.updateCard(task, { dueComplete: !task.dueComplete })} />
        Complete
        {state && <span className={`due due-${state}`}>{DUE_WORDS[state]}</span>}
      </label>
    </fieldset>
  );
}
