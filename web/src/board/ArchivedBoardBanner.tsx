// Shown on an archived board: it is out of everyone's board lists until its owner restores it.
import { api, paths } from "../api/boards";
import type { Board } from "../api/types";
import type { BoardHandle } from "./useBoard";

export function ArchivedBoardBanner({ board, isOwner, handle }: { board: Board; isOwner: boolean; handle: BoardHandle }) {
  if (!board.archivedAt) return null;
  const restore = () =>
    void handle
      .write(
        "board",
        () => api<Board>("POST", paths.restore(paths.board(board.id))),
        () => handle.dispatch({ type: "board", board: { archivedAt: null } }),
        () => handle.dispatch({ type: "board", board: { archivedAt: board.archivedAt } }),
      )
      .then((saved) => saved && handle.dispatch({ type: "board", board: { archivedAt: saved.archivedAt, version: saved.version } }));
  return (
    <p className="banner row" role="status" data-testid="archived-board-banner">
      <span className="grow">This board is archived: it is not in anyone's list of boards.</span>
      {isOwner && (
        <button type="button" onClick={restore}>
          Restore board
        </button>
      )}
    </p>
  );
}
