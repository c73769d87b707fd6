// What a card shows under its title: one badge per facet of the task (labels, dates, people...),
// each skipped when it has nothing to say, so an empty card stays one line.
import type { Member, Task } from "../api/types";
import { Avatar, displayName } from "../components/Avatar";

export function dueText(due: string | null): string | null {
  if (!due) return null;
  const date = new Date(due);
  if (Number.isNaN(date.getTime())) return null;
  return date.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

export function CardBadges({ task, members }: { task: Task; members: Member[] }) {
  const assignees = task.assigneeIds.map((id) => members.find((m) => m.userId === id));
  const due = dueText(task.dueDate);
  const comments = task.commentCount;
  if (task.labels.length === 0 && !due && assignees.length === 0 && comments === 0) return null;
  return (
    <span className="card-meta">
      {task.labels.map((label) => (
        <span key={label} className="label">
          {label}
        </span>
      ))}
      {due && <span className="due">Due {due}</span>}
      {comments > 0 && (
        <span className="comment-count" data-testid="comment-count">
          <span aria-hidden="true">💬 </span>
          {comments}
          <span className="sr-only"> comment{comments === 1 ? "" : "s"}</span>
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
