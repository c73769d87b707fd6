// The board's filter bar. Its state is the URL's query (?q=&labelIds=&assignee=&due=&archived=),
// so a filtered board can be shared and back/forward step through filters; the board is filtered
// in the browser (lib/taskFilter.ts), live, as cards change. Each facet takes several values (any
// of them matches): a menu of checkboxes, each tick one history entry.
import { useEffect, useRef, useState } from "react";
import type { Member } from "../api/types";
import { DUE_CHOICES, EMPTY_FILTER, isActive, toggled, type DueChoice, type TaskFilter } from "../lib/taskFilter";

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
      <Facet
        name="Label"
        anyText="Any label"
        options={labels.map((label) => ({ value: label.id, text: label.name || label.color || "Unnamed label" }))}
        chosen={filter.labelIds}
        onToggle={(value) => onChange({ ...filter, labelIds: toggled(filter.labelIds, value) }, false)}
      />
      <Facet
        name="Assignee"
        anyText="Anyone or nobody"
        options={[
          { value: "me", text: "Assigned to me" },
          { value: "none", text: "Assigned to nobody" },
          ...members.map((member) => ({ value: member.userId, text: member.name ?? member.email ?? "A member" })),
        ]}
        chosen={filter.assignees}
        onToggle={(value) => onChange({ ...filter, assignees: toggled(filter.assignees, value) }, false)}
      />
      <Facet
        name="Due date"
        anyText="Any due date"
        options={DUE_CHOICES.map((choice) => ({ value: choice, text: DUE_TEXT[choice] }))}
        chosen={filter.due}
        onToggle={(value) => onChange({ ...filter, due: toggled(filter.due, value as DueChoice) }, false)}
      />
      <label className="filter-archived">
        <input type="checkbox" checked={filter.archived} onChange={(e) => onChange({ ...filter, archived: e.target.checked }, false)} />
        Archived cards
      </label>
      {active && (
        <>
          <span className="filter-count" role="status" data-testid="filter-count">
            {shown} of {total} cards
          </span>
          <button type="button" onClick={() => onChange(EMPTY_FILTER, false)}>
            Clear filter
          </button>
        </>
      )}
    </form>
  );
}

interface FacetProps {
  name: string;
  anyText: string;
  options: { value: string; text: string }[];
  chosen: string[];
  onToggle(value: string): void;
}

/** One facet: a disclosure button saying what is chosen, opening a group of checkboxes. */
function Facet({ name, anyText, options, chosen, onToggle }: FacetProps) {
  const texts = chosen.map((value) => options.find((option) => option.value === value)?.text ?? "Unknown");
  const summary = texts.length === 0 ? anyText : texts.length <= 2 ? texts.join(", ") : `${texts.length} chosen`;
  const ref = useRef<HTMLDetailsElement>(null);
  // A menu: a click elsewhere or Escape closes it.
  useEffect(() => {
    const close = (event: Event) => {
      const details = ref.current;
      if (!details?.open) return;
      if (event instanceof KeyboardEvent ? event.key === "Escape" : !details.contains(event.target as Node)) details.open = false;
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, []);
  return (
    <details className="filter-facet" ref={ref}>
      <summary aria-label={`${name}: ${summary}`} data-active={chosen.length > 0 || undefined}>
        {summary}
      </summary>
      <fieldset>
        <legend className="sr-only">{name}</legend>
        {options.map((option) => (
          <label key={option.value}>
            <input type="checkbox" checked={chosen.includes(option.value)} onChange={() => onToggle(option.value)} />
            {option.text}
          </label>
        ))}
      </fieldset>
    </details>
  );
}
