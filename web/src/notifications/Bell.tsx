// The bell in the header: the unread count, live (the user's own Socket.IO room), and the list
// behind it. Loaded after the page (the header lazy-loads this module, and this module the
// panel), so the first load carries neither the socket client nor the list.
import { lazy, Suspense, useCallback, useEffect, useRef, useState } from "react";
import { get } from "../api/client";
import { liveSocket } from "../api/live";
import type { AppNotification, NotificationPage } from "../api/types";

const NotificationPanel = lazy(() => import("./NotificationPanel"));
const CATCH_UP = 20;

export default function Bell() {
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);
  const [live, setLive] = useState(false);
  // Pushed while the panel is open, handed to it so it shows them at once.
  const [arrived, setArrived] = useState<AppNotification[]>([]);
  const wrapper = useRef<HTMLDivElement>(null);

  // Reads the count, and the newest unread ones: a reconnect may have missed their pushes, and
  // an open list shows them as if they had been pushed.
  const recount = useCallback(() => {
    get<NotificationPage>(`/api/notifications?limit=${CATCH_UP}`).then(
      (page) => {
        setUnread(page.unreadCount);
        const missed = page.items.filter((n) => !n.read);
        if (missed.length) setArrived((all) => [...missed, ...all.filter((a) => !missed.some((m) => m.id === a.id))]);
      },
      () => undefined, // the bell keeps its last count; the list says what failed
    );
  }, []);

  useEffect(() => {
    recount();
    const socket = liveSocket();
    const onNotification = (n: AppNotification) => {
      setUnread((count) => count + 1);
      setArrived((all) => [n, ...all.filter((a) => a.id !== n.id)]);
    };
    // A reconnect may have missed pushes: the count and the newest are read again.
    const onConnect = () => {
      setLive(true);
      recount();
    };
    const onDisconnect = () => setLive(false);
    socket.on("notification", onNotification);
    socket.on("connect", onConnect);
    socket.on("disconnect", onDisconnect);
    setLive(socket.connected);
    return () => {
      socket.off("notification", onNotification);
      socket.off("connect", onConnect);
      socket.off("disconnect", onDisconnect);
    };
  }, [recount]);

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === "Escape" : !wrapper.current?.contains(event.target as Node))
        setOpen(false);
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, [open]);

  const label = unread === 0 ? "Notifications" : `Notifications, ${unread} unread`;
  return (
    <div className="bell" ref={wrapper} data-testid="bell" data-live={live}>
      <button
        type="button"
        className="bell-button"
        aria-label={label}
        aria-expanded={open}
        aria-controls="notification-panel"
        onClick={() => setOpen((was) => !was)}
      >
        <span aria-hidden="true">🔔</span>
        {unread > 0 && (
          <span className="bell-count" aria-hidden="true" data-testid="unread-count">
            {unread > 99 ? "99+" : unread}
          </span>
        )}
      </button>
      {open && (
        <Suspense fallback={<div className="notification-panel" role="status">Loading…</div>}>
          <NotificationPanel
            arrived={arrived}
            onRead={(count) => setUnread(count)}
            onClose={() => setOpen(false)}
          />
        </Suspense>
      )}
    </div>
  );
}
