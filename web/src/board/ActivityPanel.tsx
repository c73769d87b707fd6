// What happened on the board, newest first; older pages load as the list scrolls to its end.
import { useCallback, useEffect, useRef, useState } from "react";
import { get } from "../api/client";
import { paths } from "../api/boards";
import { sentence } from "../api/errors";
import type { ActivityPage, Entry } from "../api/types";

const PAGE = 30;

export function when(iso: string, now = Date.now()): string {
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return "";
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? "" : "s"} ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} hour${hours === 1 ? "" : "s"} ago`;
  return new Date(iso).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

export function ActivityPanel({ boardId, seq, onError }: { boardId: string; seq: number; onError(text: string): void }) {
  const [entries, setEntries] = useState<Entry[]>([]);
  // The cursor of the next (older) page; undefined until the first page came.
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const sentinel = useRef<HTMLLIElement>(null);

  // The newest page, again whenever the board's seq moves while the panel is open.
  useEffect(() => {
    let cancelled = false;
    get<ActivityPage>(`${paths.activity(boardId)}?limit=${PAGE}`).then(
      (page) => {
        if (cancelled) return;
        setEntries((old) => {
          const fresh = new Set(page.items.map((e) => e.id));
          const older = old.filter((e) => !fresh.has(e.id) && e.seq < (page.items.at(-1)?.seq ?? 0));
          return [...page.items, ...older];
        });
        setNext((old) => (old === undefined ? (page.next as string | null) : old));
      },
      (error) => !cancelled && onError(sentence(error, "load")),
    );
    return () => {
      cancelled = true;
    };
  }, [boardId, seq, onError]);

  const more = useCallback(() => {
    if (loading || !next) return;
    setLoading(true);
    get<ActivityPage>(`${paths.activity(boardId)}?limit=${PAGE}&cursor=${encodeURIComponent(next)}`)
      .then(
        (page) => {
          setEntries((old) => [...old, ...page.items.filter((e) => !old.some((o) => o.id === e.id))]);
          setNext(page.next as string | null);
        },
        (error) => onError(sentence(error, "load")),
      )
      .finally(() => setLoading(false));
  }, [boardId, next, loading, onError]);

  useEffect(() => {
    const node = sentinel.current;
    if (!node) return;
    const observer = new IntersectionObserver((seen) => seen.some((e) => e.isIntersecting) && more());
    observer.observe(node);
    return () => observer.disconnect();
  }, [more]);

  return (
    <aside className="side-panel activity" aria-labelledby="activity-heading" data-testid="activity-panel">
      <h2 id="activity-heading">Activity</h2>
      <ol className="plain entries" tabIndex={0} aria-label="Activity, newest first">
        {entries.map((entry) => (
          <li key={entry.id} className="entry" data-testid="activity-entry">
            <span>{entry.summary}</span>
            <time className="muted small block" dateTime={entry.createdAt}>
              {when(entry.createdAt)}
            </time>
          </li>
        ))}
        {next === undefined && <li className="muted">Loading…</li>}
        {next === null && entries.length === 0 && <li className="muted">Nothing has happened yet.</li>}
        {next !== null && next !== undefined && (
          <li ref={sentinel}>
            <button type="button" className="link-button" onClick={more} disabled={loading}>
              {loading ? "Loading older activity…" : "Show older activity"}
            </button>
          </li>
        )}
      </ol>
    </aside>
  );
}
