// Import from Trello: choose the JSON file Trello exported, upload it, follow the import's
// progress, then open the new board. A failed import says why and can be resumed.
import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { api, get } from "../api/client";
import { ApiError, sentence } from "../api/errors";
import type { Import } from "../api/types";
import { Header } from "../components/Header";

/** The largest export the server accepts (IMPORT_MAX_BYTES, docs/api.md "Imports"). */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
const POLL_MS = 500;

const PHASES: Record<Import["phase"], string> = {
  board: "Creating the board",
  labels: "Adding labels",
  lists: "Adding lists",
  members: "Matching members",
  cards: "Adding cards",
  checklists: "Adding checklists",
  comments: "Adding comments",
  archive: "Archiving closed lists and cards",
  done: "Done",
};

/** What a refused upload or resume means, as a sentence. */
export function importProblem(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 413) return "That file is larger than the 10 MiB an import accepts.";
    if (error.status === 400) return "Choose the JSON file Trello exported.";
    if (error.status === 422 && error.errors[0]) return error.errors[0].msg;
    if (error.status === 409) return error.detail;
  }
  return sentence(error, "board");
}

/** The progress line of a job, e.g. "Adding cards: 12 of 29 steps". */
export function progressText(job: Import): string {
  if (job.status === "done") return `Imported: ${job.total} of ${job.total} steps.`;
  if (job.status === "failed") return `Stopped after ${job.done} of ${job.total} steps.`;
  if (job.status === "queued") return "Waiting to start…";
  return `${PHASES[job.phase]}: ${job.done} of ${job.total} steps`;
}

export default function ImportPage() {
  const [job, setJob] = useState<Import | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [recent, setRecent] = useState<Import[]>([]);
  const timer = useRef<number | null>(null);

  const loadRecent = useCallback(() => {
    get<{ items: Import[] }>("/api/imports").then(
      (page) => setRecent(page.items),
      () => undefined, // the list is a convenience; the page works without it
    );
  }, []);
  useEffect(loadRecent, [loadRecent]);

  const follow = useCallback(
    (current: Import) => {
      setJob(current);
      if (timer.current !== null) window.clearTimeout(timer.current);
      if (current.status === "done" || current.status === "failed") {
        loadRecent();
        return;
      }
      timer.current = window.setTimeout(() => {
        get<Import>(`/api/imports/${current.id}`).then(follow, (failure) => setError(importProblem(failure)));
      }, POLL_MS);
    },
    [loadRecent],
  );
  useEffect(
    () => () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
    },
    [],
  );

  async function upload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    const file = new FormData(event.currentTarget).get("file");
    if (!(file instanceof File) || file.size === 0) {
      setError("Choose the JSON file Trello exported.");
      return;
    }
    if (file.size > MAX_IMPORT_BYTES) {
      setError("That file is larger than the 10 MiB an import accepts.");
      return;
    }
    setBusy(true);
    try {
      follow(await api<Import>("POST", "/api/imports", { raw: file }));
    } catch (failure) {
      setError(importProblem(failure));
    } finally {
      setBusy(false);
    }
  }

  async function resume(current: Import) {
    setError(null);
    try {
      follow(await api<Import>("POST", `/api/imports/${current.id}/resume`));
    } catch (failure) {
      setError(importProblem(failure));
    }
  }

  return (
    <>
      <Header />
      <main className="boards-page">
        <p>
          <Link to="/">← Your boards</Link>
        </p>
        <h1>Import from Trello</h1>
        <section className="card-panel stack" aria-labelledby="import-heading">
          <h2 id="import-heading">Choose a Trello export</h2>
          <p className="hint">
            In Trello, open the board&apos;s menu, then <em>Print, export and share</em> and <em>Export as JSON</em>. Files up to 10 MiB. Lists, cards, labels, dates,
            checklists and comments come over; members join when their e-mail address has a Hintro account.
          </p>
          <form className="row" onSubmit={(event) => void upload(event)}>
            <label htmlFor="trello-file" className="sr-only">
              Trello export (JSON file)
            </label>
            <input id="trello-file" name="file" type="file" accept=".json,application/json" required />
            <button type="submit" className="primary" disabled={busy}>
              {busy ? "Uploading…" : "Import"}
            </button>
          </form>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
        </section>
        {job && <ImportStatus job={job} onResume={() => void resume(job)} />}
        {recent.length > 0 && (
          <section aria-labelledby="recent-imports">
            <h2 id="recent-imports">Your imports</h2>
            <ul className="plain stack">
              {recent.map((item) => (
                <li key={item.id} className="row">
                  <span>{item.boardTitle}</span>
                  <span className="muted small">{item.status === "done" ? "imported" : item.status}</span>
                  {item.status === "done" ? (
                    <Link to={`/boards/${item.boardId}`}>Open</Link>
                  ) : (
                    item.id !== job?.id && (
                      <button type="button" onClick={() => follow(item)}>
                        Show
                      </button>
                    )
                  )}
                </li>
              ))}
            </ul>
          </section>
        )}
      </main>
    </>
  );
}

function ImportStatus({ job, onResume }: { job: Import; onResume: () => void }) {
  return (
    <section className="card-panel stack" aria-labelledby="import-status" data-testid="import-status">
      <h2 id="import-status">{job.boardTitle}</h2>
      <progress max={Math.max(job.total, 1)} value={job.done} aria-label="Import progress" />
      <p role="status">{progressText(job)}</p>
      {job.status === "failed" && (
        <>
          <p className="form-error" role="alert">
            {job.error}
          </p>
          <p>
            <button type="button" className="primary" onClick={onResume}>
              Resume the import
            </button>{" "}
            <span className="hint">It continues where it stopped; nothing is made twice.</span>
          </p>
        </>
      )}
      {job.status === "done" && (
        <p>
          <Link to={`/boards/${job.boardId}`} data-testid="open-imported-board">
            Open the board
          </Link>
        </p>
      )}
      {job.unmatchedMembers.length > 0 && (
        <p className="hint">
          Not matched to a Hintro account (no e-mail in the export, or no account with it): {job.unmatchedMembers.join(", ")}.
        </p>
      )}
      {job.warnings.length > 0 && (
        <ul className="hint">
          {job.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
