// Sentences for people: failures of their own actions (an alert) and news about the board
// (polite status). Each disappears after a while or when dismissed.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

interface Notice {
  id: number;
  text: string;
  kind: "error" | "info";
}

interface NoticeApi {
  error(text: string): void;
  info(text: string): void;
}

const NoticeContext = createContext<NoticeApi | null>(null);
let nextId = 1;

export function NoticeProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const dismiss = useCallback((id: number) => setNotices((all) => all.filter((n) => n.id !== id)), []);
  const push = useCallback(
    (text: string, kind: Notice["kind"]) => {
      const id = nextId++;
      setNotices((all) => [...all.filter((n) => n.text !== text), { id, text, kind }].slice(-4));
      setTimeout(() => dismiss(id), kind === "error" ? 10000 : 6000);
    },
    [dismiss],
  );
  const api = useMemo<NoticeApi>(() => ({ error: (t) => push(t, "error"), info: (t) => push(t, "info") }), [push]);
  const errors = notices.filter((n) => n.kind === "error");
  const infos = notices.filter((n) => n.kind === "info");
  const render = (n: Notice) => (
    <div key={n.id} className={`notice notice-${n.kind}`} data-testid="notice">
      <span>{n.text}</span>
      <button type="button" className="icon-button" aria-label="Dismiss message" onClick={() => dismiss(n.id)}>
        ×
      </button>
    </div>
  );
  return (
    <NoticeContext.Provider value={api}>
      {children}
      <div className="notices">
        <div role="alert">{errors.map(render)}</div>
        <div role="status">{infos.map(render)}</div>
      </div>
    </NoticeContext.Provider>
  );
}

export function useNotices(): NoticeApi {
  const value = useContext(NoticeContext);
  if (!value) throw new Error("useNotices outside NoticeProvider");
  return value;
}
