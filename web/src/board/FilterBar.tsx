// The board's filter bar. Its state is the URL's query (?q=&labelIds=&assignee=&due=), so a
// filtered board can be shared and back/forward step through filters; the board is filtered in
// the browser (lib/taskFilter.ts), live, as cards change.
import { useEffect, useState } from "react";
import type { Member } from "../api/types";
import { DUE_CHOICES, isActive, type DueChoice, type TaskFilter } from "../lib/taskFilter";

export interface FilterLabel {
  id: string;
  name: string;
  color?: string;
}

const DUE_TEXT: Record<DueChoice, string> = {
  overdue: "Overdue",
  week: "Due in the next 7 days",
  none: "No due date",
  done: "Due date done",
};

interface Props {
  filter: TaskFilter;
  /** `replace`: a keystroke in the text box, not a history entry of its own. */
  onChange(filter: TaskFilter, replace: boolean): void;
  members: Member[];
  labels: FilterLabel[];
  shown: number;
  total: number;
}

export function FilterBar({ filter, onChange, members, labels, shown, total }: Props) {
  // The text box keeps what is typed (spaces included); the URL follows it.
  const [text, setText] = useState(filter.q);
  useEffect(() => setText(filter.q), [filter.q]);
  const active = isActive(filter);
  const single = (values: string[]) => (values.length === 1 ? values[0] : values.length ? "several" : "");

  return (
    <form className="filter-bar" role="search" aria-label="Filter cards" onSubmit={(e) => e.preventDefault()}>
      <label className="sr-only" htmlFor="filter-q">
        Filter cards by text
      </label>
      <input
        id="filter-q"
        type="search"
        placeholder="Filter cards…"
        value={text}
        maxLength={200}
        onChange={(e) => {
          setText(e.target.value);
          onChange({ ...filter, q: e.target.value }, true);
        }}
      />
      <label className="sr-only" htmlFor="filter-label">
        Label
      </label>
      <select
        id="filter-label"
        value={single(filter.labelIds)}
        onChange={(e) => e.target.value !== "several" && onChange({ ...filter, labelIds: e.target.value ? [e.target.value] : [] }, false)}
      >
        <option value="">Any label</option>
        {filter.labelIds.length > 1 && <option value="several">Several labels</option>}
        {labels.map((label) => (
          <option key={label.id} value={label.id}>
            {label.name || label.color || "Unnamed label"}
          </option>
        ))}
      </select>
      <label className="sr-only" htmlFor="filter-assignee">
        Assignee
      </label>
      <select
        id="filter-assignee"
        value={single(filter.assignees)}
        onChange={(e) => e.target.value !== "several" && onChange({ ...filter, assignees: e.target.value ? [e.target.value] : [] }, false)}
      >
        <option value="">Anyone or nobody</option>
        {filter.assignees.length > 1 && <option value="several">Several people</option>}
        <option value="me">Assigned to me</option>
        <option value="none">Assigned to nobody</option>
        {members.map((member) => (
          <option key={member.userId} value={member.userId}>
            {member.name ?? member.email ?? "A member"}
          </option>
        ))}
      </select>
      <label className="sr-only" htmlFor="filter-due">
        Due date
      </label>
      <select
        id="filter-due"
        value={single(filter.due)}
        onChange={(e) => e.target.value !== "several" && onChange({ ...filter, due: e.target.value ? [e.target.value as DueChoice] : [] }, false)}
      >
        <option value="">Any due date</option>
        {filter.due.length > 1 && <option value="several">Several</option>}
        {DUE_CHOICES.map((choice) => (
          <option key={choice} value={choice}>
            {DUE_TEXT[choice]}
          </option>
        ))}
      </select>
      {active && (
        <>
          <span className="filter-count" role="status" data-testid="filter-count">
            {shown} of {total} cards
          </span>
          <button type="button" onClick={() => onChange({ q: "", labelIds: [], assignees: [], due: [] }, false)}>
            Clear filter
          </button>
        </>
      )}
    </form>
  );
}
