// The list behind the bell: newest first, a sentence and a link each, older pages on demand.
// Opening it marks everything read (the count goes to zero); what was unread stays marked as
// new in this view until it closes. Being added to a board needs nobody's consent, so that
// notification carries a one-click "Leave board" (docs/api.md, "Members").
import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { paths } from "../api/boards";
import { api, get } from "../api/client";
import { ApiError, sentence } from "../api/errors";
import type { AppNotification, NotificationPage } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { when } from "../board/ActivityPanel";
import { notificationBoard, notificationLink, notificationSentence } from "./sentence";

const PAGE = 20;

export default function NotificationPanel({
  arrived,
  onRead,
  onClose,
}: {
  arrived: AppNotification[];
  onRead(unread: number): void;
  onClose(): void;
}) {
  const [items, setItems] = useState<AppNotification[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  // Boards left from this list: board id -> what the list says now.
  const [left, setLeft] = useState<Record<string, string>>({});
  const { user } = useAuth();

  const leave = (boardId: string) => {
    if (!user) return;
    api("DELETE", paths.member(boardId, user.id)).then(
      () => setLeft((old) => ({ ...old, [boardId]: "You left this board." })),
      (failure: unknown) => {
        // Already gone (left elsewhere, or removed): the outcome asked for.
        if (failure instanceof ApiError && failure.status === 404) setLeft((old) => ({ ...old, [boardId]: "You are no longer on this board." }));
        else setError(sentence(failure, "leave"));
      },
    );
  };

  const markAll = useCallback(() => {
    api("POST", "/api/notifications/read-all").then(
      () => onRead(0),
      (failure) => setError(sentence(failure, "load")),
    );
  }, [onRead]);

  useEffect(() => {
    let cancelled = false;
    get<NotificationPage>(`/api/notifications?limit=${PAGE}`).then(
      (page) => {
        if (cancelled) return;
        setItems(page.items);
        setNext(page.next);
        setLoaded(true);
        if (page.unreadCount > 0) markAll();
      },
      (failure) => !cancelled && setError(sentence(failure, "load")),
    );
    return () => {
      cancelled = true;
    };
  }, [markAll]);

  // Pushed while open: shown at the top, and read, since they are seen.
  useEffect(() => {
    if (!loaded || arrived.length === 0) return;
    setItems((old) => {
      const fresh = arrived.filter((n) => !old.some((o) => o.id === n.id));
      return fresh.length ? [...fresh, ...old] : old;
    });
    markAll();
  }, [arrived, loaded, markAll]);

  const more = () => {
    if (!next) return;
    get<NotificationPage>(`/api/notifications?limit=${PAGE}&cursor=${encodeURIComponent(next)}`).then(
      (page) => {
        setItems((old) => [...old, ...page.items.filter((n) => !old.some((o) => o.id === n.id))]);
        setNext(page.next);
      },
      (failure) => setError(sentence(failure, "load")),
    );
  };

  return (
    <section id="notification-panel" className="notification-panel" aria-label="Notifications">
      <div className="row">
        <h2 className="grow">Notifications</h2>
        <button type="button" className="link-button" onClick={markAll}>
          Mark all read
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {loaded && items.length === 0 && <p className="hint">Nothing yet. You will hear here when someone assigns you, mentions you or moves a card you watch.</p>}
      <ul className="plain notification-list">
        {items.map((n) => (
          <li key={n.id} className={n.read ? "notification" : "notification unread"}>
            <Link to={notificationLink(n)} onClick={onClose}>
              {notificationSentence(n)}
            </Link>
            <span className="hint">
              {!n.read && <span className="sr-only">New. </span>}
              {when(n.createdAt)}
            </span>
            {n.kind === "board.member_added" && n.boardId && (
              left[n.boardId] ? (
                <span className="hint" role="status">{left[n.boardId]}</span>
              ) : (
                <button
                  type="button"
                  className="link-button"
                  aria-label={`Leave ${notificationBoard(n)}`}
                  onClick={() => n.boardId && leave(n.boardId)}
                >
                  Leave board
                </button>
              )
            )}
          </li>
        ))}
      </ul>
      {next && (
        <button type="button" className="link-button" onClick={more}>
          Show older
        </button>
      )}
      <Link to="/settings" className="small" onClick={onClose}>
        E-mail settings
      </Link>
    </section>
  );
}
