// A board's first load, started before its page is on screen (see BoardRoute): the same two
// steps useBoard takes, in the same order (the activity seq, then the board: a board read after
// the seq holds at least everything up to it), handed to the page when it opens that board.
import { fetchBoard, paths } from "../api/boards";
import { get } from "../api/client";
import type { BoardWithLists, Task } from "../api/types";

export interface BoardLoad {
  /** The board's activity seq, or null when it could not be read. */
  seq: Promise<number | null>;
  /** The board read after `seq` answered; null when there was no seq to read it after. */
  data: Promise<{ board: BoardWithLists; tasks: Task[] } | null>;
}

/** Preloaded data older than this is not used: the page reads the board afresh. */
const FRESH_MS = 10_000;

let pending: { boardId: string; at: number; load: BoardLoad } | null = null;

export function readSeq(boardId: string): Promise<number | null> {
  return get<{ seq: number }>(`${paths.activity(boardId)}?afterSeq=0&limit=0`).then(
    (answer) => answer.seq,
    () => null,
  );
}

export function preloadBoard(boardId: string): void {
  const seq = readSeq(boardId);
  const data = seq.then((value) => (value === null ? null : fetchBoard(boardId)));
  // Refusals and network failures are the page's to report, when it takes this load.
  data.catch(() => undefined);
  pending = { boardId, at: Date.now(), load: { seq, data } };
}

/** The preloaded load of `boardId` (once), or null. */
export function takePreloaded(boardId: string): BoardLoad | null {
  const taken = pending;
  pending = null;
  if (!taken || taken.boardId !== boardId || Date.now() - taken.at > FRESH_MS) return null;
  return taken.load;
}
