// The boards I am a member of that are archived: out of the board lists, restorable (and
// deletable for good) by their owner.
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { api, get } from "../api/client";
import { sentence } from "../api/errors";
import type { Board, Page } from "../api/types";
import { Confirm } from "../components/Modal";

interface Props {
  meId: string;
  /** Changes whenever a board was archived here, so the section reads again. */
  version: number;
  onRestored(board: Board): void;
  onError(text: string): void;
}

export function ArchivedBoards({ meId, version, onRestored, onError }: Props) {
  const [boards, setBoards] = useState<Board[] | null>(null);
  const [deleting, setDeleting] = useState<Board | null>(null);

  useEffect(() => {
    let cancelled = false;
    get<Page<Board>>("/api/boards?limit=100&archived=true").then(
      (page) => !cancelled && setBoards(page.items),
      (error) => !cancelled && onError(sentence(error, "load")),
    );
    return () => {
      cancelled = true;
    };
  }, [version, onError]);

  async function restore(board: Board) {
    setBoards((all) => all?.filter((b) => b.id !== board.id) ?? null);
    try {
      onRestored(await api<Board>("POST", `/api/boards/${encodeURIComponent(board.id)}/restore`));
    } catch (error) {
      setBoards((all) => (all ? [board, ...all] : all));
      onError(sentence(error, "board"));
    }
  }

  async function remove(board: Board) {
    setBoards((all) => all?.filter((b) => b.id !== board.id) ?? null);
    try {
      await api("DELETE", `/api/boards/${encodeURIComponent(board.id)}`);
    } catch (error) {
      setBoards((all) => (all ? [board, ...all] : all));
      onError(sentence(error, "board"));
    }
  }

  if (!boards || boards.length === 0) return null;
  return (
    <section aria-labelledby="h-archived-boards" data-testid="archived-boards">
      <h2 id="h-archived-boards">Archived boards</h2>
      <ul className="board-grid">
        {boards.map((board) => (
          <li key={board.id} className="board-tile archived" data-testid="archived-board-tile">
            <Link to={`/boards/${board.id}`} className="board-link">
              {board.title}
            </Link>
            {board.ownerId === meId && (
              <div className="row">
                <button type="button" onClick={() => void restore(board)} aria-label={`Restore board ${board.title}`}>
                  Restore
                </button>
                <button type="button" className="danger" onClick={() => setDeleting(board)} aria-label={`Delete board ${board.title} permanently`}>
                  Delete
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {deleting && (
        <Confirm
          title="Delete board permanently?"
          message={`“${deleting.title}” and all its lists and cards will be deleted for every member. This cannot be undone.`}
          confirmLabel="Delete permanently"
          onConfirm={() => void remove(deleting)}
          onClose={() => setDeleting(null)}
        />
      )}
    </section>
  );
}
