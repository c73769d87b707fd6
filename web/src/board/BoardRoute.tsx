// The board page's route, in the entry chunk: the page itself (drag and drop, socket.io) is its
// own chunk, fetched as soon as the URL is a board's, while the session is still being
// restored, and its data is requested as soon as there is a session.
import { useEffect, useState, type ReactNode } from "react";
import { onSessionChange } from "../api/session";
import { preloadBoard } from "./preload";

type BoardPageModule = typeof import("./BoardPage");

let loaded: BoardPageModule | undefined;
let loading: Promise<BoardPageModule> | undefined;

function loadBoardPage(): Promise<BoardPageModule> {
  loading ??= import("./BoardPage").then(
    (module) => (loaded = module),
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

// Board ids are plain tokens (nothing to decode); any other URL is left to the page.
const BOARD_PATH = /^\/boards\/([A-Za-z0-9_-]+)(?:\/|$)/;

/** Called once at startup: a page opened at a board's URL starts on its code and its data at
 * once instead of after the session check and the page's first render (two round trips). */
export function preloadBoardRoute(path: string): void {
  const segment = BOARD_PATH.exec(path)?.[1];
  if (!segment) return;
  void loadBoardPage().catch(() => undefined);
  const stop = onSessionChange((signedIn) => {
    stop();
    // Still on that board (the session check may have ended on the sign-in page).
    if (signedIn && BOARD_PATH.exec(window.location.pathname)?.[1] === segment) preloadBoard(segment);
  });
}

/** Warm the board page's chunk (the boards page calls it once it is on screen). */
export function prefetchBoardPage(): void {
  void loadBoardPage().catch(() => undefined);
}

/** The board page, rendered at once when its chunk is here; otherwise `fallback` until it is.
 * No Suspense: React holds back content revealed after a Suspense fallback for up to 300 ms. */
export function BoardRoute({ fallback }: { fallback: ReactNode }) {
  const [page, setPage] = useState(loaded);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (page) return;
    let live = true;
    loadBoardPage().then(
      (module) => live && setPage(module),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [page]);
  if (page) return <page.BoardPage />;
  if (failed) {
    return (
      <main className="auth-page">
        <p role="alert">The board could not be loaded. Check your connection and reload the page.</p>
      </main>
    );
  }
  return fallback;
}
