// A textarea that offers the board's members after an "@": pick one (arrows and Enter or Tab, or
// the mouse) and the mention token `@[Name](userId)` is written in its place, which the server
// resolves to the member (docs/api.md, "Comments"). Names with spaces work because the token
// carries the id; what follows "@" filters by any word of the name or the start of the e-mail.
import { useId, useRef, useState, type KeyboardEvent } from "react";
import type { Member } from "../../api/types";
import { Avatar, displayName } from "../../components/Avatar";

interface Props {
  label: string;
  value: string;
  members: Member[];
  meId: string;
  onChange(value: string): void;
  /** Ctrl+Enter (or Cmd+Enter). */
  onSubmit(): void;
  autoFocus?: boolean;
  testId?: string;
}

interface Query {
  start: number;
  end: number;
  text: string;
}

const MAX_OPTIONS = 8;

/** The "@…" being typed right before the caret, if any. */
export function mentionQuery(value: string, caret: number): Query | null {
  const before = value.slice(0, caret);
  const at = before.lastIndexOf("@");
  if (at < 0 || (at > 0 && !/\s/.test(before[at - 1] ?? ""))) return null;
  const text = before.slice(at + 1);
  if (text.length > 40 || /[\n[\]()@]/.test(text)) return null;
  return { start: at, end: caret, text };
}

/** Members whose name (any word) or e-mail starts with what was typed after "@". */
export function matchingMembers(members: Member[], text: string): Member[] {
  const typed = text.trim().toLowerCase();
  return members
    .filter((member) => {
      if (!typed) return true;
      const name = (member.name ?? "").toLowerCase();
      return name.startsWith(typed) || name.split(/\s+/).some((word) => word.startsWith(typed)) || (member.email ?? "").toLowerCase().startsWith(typed);
    })
    .slice(0, MAX_OPTIONS);
}

/** The token for a member: their name as the label (characters a label cannot hold dropped). */
export function mentionToken(member: Member): string {
  const label = (member.name || member.email || "member").replace(/[\]\n\r]/g, "").slice(0, 100) || "member";
  return `@[${label}](${member.userId})`;
}

export function MentionInput({ label, value, members, meId, onChange, onSubmit, autoFocus, testId }: Props) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const listId = useId();
  const [query, setQuery] = useState<Query | null>(null);
  const [active, setActive] = useState(0);
  const options = query ? matchingMembers(members, query.text) : [];
  const open = options.length > 0;

  function track(next: string, caret: number) {
    const found = mentionQuery(next, caret);
    setQuery(found);
    if (found?.text !== query?.text) setActive(0);
  }

  function pick(member: Member) {
    if (!query) return;
    const token = `${mentionToken(member)} `;
    const next = value.slice(0, query.start) + token + value.slice(query.end);
    const caret = query.start + token.length;
    onChange(next);
    setQuery(null);
    requestAnimationFrame(() => {
      ref.current?.focus();
      ref.current?.setSelectionRange(caret, caret);
    });
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (open) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        setActive((active + step + options.length) % options.length);
        return;
      }
      if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        const member = options[active];
        if (member) pick(member);
        return;
      }
      if (event.key === "Escape") {
        // Closes the suggestions, not the card dialog.
        event.preventDefault();
        event.stopPropagation();
        setQuery(null);
        return;
      }
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      onSubmit();
    }
  }

  return (
    <div className="mention-input">
      <label>
        {label}
        <textarea
          ref={ref}
          value={value}
          rows={3}
          maxLength={5000}
          autoFocus={autoFocus}
          data-testid={testId}
          aria-autocomplete="list"
          aria-controls={open ? listId : undefined}
          aria-activedescendant={open ? `${listId}-${active}` : undefined}
          onChange={(event) => {
            onChange(event.target.value);
            track(event.target.value, event.target.selectionStart);
          }}
          onKeyDown={onKeyDown}
          onClick={(event) => track(event.currentTarget.value, event.currentTarget.selectionStart)}
          onBlur={() => setQuery(null)}
        />
      </label>
      {open && (
        <ul className="plain mention-options" role="listbox" id={listId} aria-label="Members to mention">
          {options.map((member, index) => (
            <li
              key={member.userId}
              id={`${listId}-${index}`}
              role="option"
              aria-selected={index === active}
              className={index === active ? "active" : undefined}
              // Before the textarea's blur, which would close the list.
              onMouseDown={(event) => {
                event.preventDefault();
                pick(member);
              }}
            >
              <Avatar member={member} small />
              {displayName(member, meId)}
              {member.email && <span className="muted small"> {member.email}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
