// Home: the boards I own and the ones shared with me; create, rename, archive (archived boards
// below, restorable).
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router-dom";
import { api, get } from "../api/client";
import { sentence } from "../api/errors";
import type { Board, Page } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { prefetchBoardPage } from "../board/BoardRoute";
import { Header } from "../components/Header";
import { useNotices } from "../components/Notices";
import { ArchivedBoards } from "./ArchivedBoards";

async function allBoards(): Promise<Board[]> {
  const boards: Board[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<Board> = await get<Page<Board>>(`/api/boards?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    boards.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return boards;
}

export function BoardsPage() {
  const { user } = useAuth();
  const notices = useNotices();
  const navigate = useNavigate();
  const location = useLocation();
  const [boards, setBoards] = useState<Board[] | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [archived, setArchived] = useState(0);
  const closedMessage = (location.state as { closed?: string } | null)?.closed;

  const load = useCallback(() => {
    allBoards().then(setBoards, (error) => notices.error(sentence(error, "load")));
  }, [notices]);
  useEffect(load, [load]);
  // A board is what a person opens from here: its code is fetched while they choose.
  useEffect(prefetchBoardPage, []);

  async function create(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const title = String(new FormData(form).get("title") ?? "").trim();
    if (!title) return;
    try {
      const board = await api<Board>("POST", "/api/boards", { body: { title } });
      form.reset();
      navigate(`/boards/${board.id}`);
    } catch (error) {
      notices.error(sentence(error, "board"));
    }
  }

  async function rename(board: Board, title: string) {
    setRenaming(null);
    if (!title.trim() || title === board.title) return;
    setBoards((all) => all?.map((b) => (b.id === board.id ? { ...b, title } : b)) ?? null);
    try {
      await api("PATCH", `/api/boards/${board.id}`, { body: { title } });
    } catch (error) {
      setBoards((all) => all?.map((b) => (b.id === board.id ? board : b)) ?? null);
      notices.error(sentence(error, "board"));
    }
  }

  async function archive(board: Board) {
    setBoards((all) => all?.filter((b) => b.id !== board.id) ?? null);
    try {
      await api("POST", `/api/boards/${board.id}/archive`);
      setArchived((n) => n + 1);
    } catch (error) {
      load();
      notices.error(sentence(error, "board"));
    }
  }

  const mine = boards?.filter((b) => b.ownerId === user?.id) ?? [];
  const shared = boards?.filter((b) => b.ownerId !== user?.id) ?? [];

  const section = (title: string, items: Board[], empty: string) => (
    <section aria-labelledby={`h-${title}`}>
      <h2 id={`h-${title}`}>{title}</h2>
      {items.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="board-grid">
          {items.map((board) => {
            const role = board.members.find((m) => m.userId === user?.id)?.role;
            return (
              <li key={board.id} className="board-tile" data-testid="board-tile">
                {renaming === board.id ? (
                  <form
                    onSubmit={(e) => {
                      e.preventDefault();
                      void rename(board, String(new FormData(e.currentTarget).get("title") ?? ""));
                    }}
                  >
                    <label className="sr-only" htmlFor={`rename-${board.id}`}>
                      New name of {board.title}
                    </label>
                    <input id={`rename-${board.id}`} name="title" defaultValue={board.title} maxLength={200} autoFocus onBlur={(e) => void rename(board, e.currentTarget.value)} />
                  </form>
                ) : (
                  <Link to={`/boards/${board.id}`} className="board-link">
                    {board.title}
                  </Link>
                )}
                <span className="muted small">
                  {board.members.length} member{board.members.length === 1 ? "" : "s"}
                  {role && role !== "owner" ? ` · you are ${role === "editor" ? "an editor" : "a viewer"}` : ""}
                </span>
                <div className="row">
                  {role !== "viewer" && (
                    <button type="button" onClick={() => setRenaming(board.id)} aria-label={`Rename board ${board.title}`}>
                      Rename
                    </button>
                  )}
                  {role === "owner" && (
                    <button type="button" onClick={() => void archive(board)} aria-label={`Archive board ${board.title}`}>
                      Archive
                    </button>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );

  return (
    <>
      <Header />
      <main className="boards-page">
        <h1>Your boards</h1>
        {closedMessage && (
          <p className="banner" role="status" data-testid="closed-message">
            {closedMessage}
          </p>
        )}
        <form className="row create-board" onSubmit={create}>
          <label htmlFor="new-board">New board</label>
          <input id="new-board" name="title" placeholder="Board name" maxLength={200} required />
          <button type="submit" className="primary">
            Create board
          </button>
          <Link to="/import" data-testid="import-link">
            Import from Trello
          </Link>
        </form>
        {boards === null ? (
          <p className="muted" role="status">
            Loading your boards…
          </p>
        ) : (
          <>
            {section("Boards you own", mine, "You have not created a board yet.")}
            {section("Shared with you", shared, "No one has shared a board with you yet.")}
          </>
        )}
        {boards !== null && <ArchivedBoards meId={user?.id ?? ""} version={archived} onRestored={load} onError={notices.error} />}
      </main>
    </>
  );
}
