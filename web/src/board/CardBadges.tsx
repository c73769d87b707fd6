// What a card shows under its title: one badge per facet of the task (labels, dates, people...),
// each skipped when it has nothing to say, so an empty card stays one line.
import type { Label, Member, Task } from "../api/types";
import { Avatar, displayName } from "../components/Avatar";
import { DUE_WORDS, dueState, shortDate } from "../lib/due";
import { resolveLabels } from "../lib/labels";
import { LabelChip } from "./LabelChip";


export function DueBadge({ task }: { task: Task }) {
  const state = dueState(task, Date.now());
  const due = shortDate(task.dueDate);
  if (!state || !due) return null;
  return (
    <span className={`due due-${state}`} data-testid="due-badge" data-state={state}>
      {state === "later" ? `Due ${due}` : `${DUE_WORDS[state]}: ${due}`}
    </span>
  );
}

export function CardBadges({ task, members, labels }: { task: Task; members: Member[]; labels: Label[] }) {
  const assignees = task.assigneeIds.map((id) => members.find((m) => m.userId === id));
  const shown = resolveLabels(task.labelIds, labels);
  const comments = task.commentCount;
  if (shown.length === 0 && !task.dueDate && assignees.length === 0 && comments === 0) return null;
  return (
    <span className="card-meta">
      {shown.map((label) => (
        <LabelChip key={label.id} label={label} />
      ))}
      <DueBadge task={task} />
      {comments > 0 && (
        <span className="comment-count" data-testid="comment-count" aria-label={`${comments} comment${comments === 1 ? "" : "s"}`}>
          <span aria-hidden="true">💬 </span>
          {comments}
        </span>
      )}
      {assignees.length > 0 && (
        <span className="assignees" aria-label={`Assigned to ${assignees.map((m) => displayName(m)).join(", ")}`}>
          {assignees.map((m, i) => (
            <Avatar key={m?.userId ?? i} member={m} small />
          ))}
        </span>
      )}
    </span>
  );
}
