// Watch a card: its moves and comments then come as notifications (viewers may watch too).
import { useEffect, useState } from "react";
import { api, get } from "../api/client";
import { sentence } from "../api/errors";

export function WatchToggle({ taskId }: { taskId: string }) {
  const [watching, setWatching] = useState<boolean | null>(null);
  const [error, setError] = useState<string | null>(null);
  const path = `/api/tasks/${encodeURIComponent(taskId)}/watch`;

  useEffect(() => {
    let cancelled = false;
    get<{ watching: boolean }>(path).then(
      (answer) => !cancelled && setWatching(answer.watching),
      () => !cancelled && setWatching(false),
    );
    return () => {
      cancelled = true;
    };
  }, [path]);

  const toggle = () => {
    const want = !watching;
    setError(null);
    api<{ watching: boolean }>(want ? "PUT" : "DELETE", path).then(
      (answer) => setWatching(answer.watching),
      (failure) => setError(sentence(failure, "load")),
    );
  };

  return (
    <div className="row">
      <button type="button" aria-pressed={watching === true} disabled={watching === null} onClick={toggle}>
        {watching ? "Watching" : "Watch"}
      </button>
      <span className="hint">{watching ? "You hear of its moves and comments." : "Hear of its moves and comments."}</span>
      {error && (
        <span className="form-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
