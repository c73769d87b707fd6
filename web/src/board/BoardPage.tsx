// One board: header, lists and cards, the card dialog (by URL), members and activity panels.
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router-dom";
import type { Task } from "../api/types";
import { useAuth } from "../auth/AuthContext";
import { Header } from "../components/Header";
import { useNotices } from "../components/Notices";
import { roleOf } from "../lib/boardState";
import { filterTasks, parseFilter, withFilter, type TaskFilter } from "../lib/taskFilter";
import { ActivityPanel } from "./ActivityPanel";
import { ArchivedBoardBanner } from "./ArchivedBoardBanner";
import { CardDialog } from "./CardDialog";
import { FilterBar } from "./FilterBar";
import { Columns } from "./Columns";
import { MembersPanel } from "./MembersPanel";
import { labelOps } from "./labelOps";
import { boardOps } from "./ops";
import { useArchivedTasks } from "./useArchivedTasks";
import { useBoard, type Connection } from "./useBoard";

const LabelsPanel = lazy(() => import("./LabelsPanel").then((m) => ({ default: m.LabelsPanel })));
const NO_TASKS: Record<string, Task> = {};
const ArchivePanel = lazy(() => import("./ArchivePanel").then((m) => ({ default: m.ArchivePanel })));
const WebhooksPanel = lazy(() => import("../webhooks/WebhooksPanel").then((m) => ({ default: m.WebhooksPanel })));

const CONNECTION_TEXT: Record<Connection, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

export function BoardPage() {
  const { boardId = "", cardId } = useParams();
  const { user } = useAuth();
  const notices = useNotices();
  const navigate = useNavigate();
  const meId = user?.id ?? "";
  const handle = useBoard(boardId, meId, notices.error);
  const { state, connection } = handle;
  const stateRef = useRef(state);
  stateRef.current = state;
  const ops = useMemo(() => boardOps(handle, () => stateRef.current), [handle.dispatch, handle.write]); // eslint-disable-line react-hooks/exhaustive-deps
  const labels = useMemo(() => labelOps(handle, () => stateRef.current), [handle.dispatch, handle.write]); // eslint-disable-line react-hooks/exhaustive-deps
  const [panel, setPanel] = useState<"members" | "activity" | "labels" | "archive" | "webhooks" | null>(null);
  const [renaming, setRenaming] = useState(false);

  // The filter lives in the URL; the loaded board is filtered here, live.
  const [params, setParams] = useSearchParams();
  const filter = useMemo(() => parseFilter(params), [params]);
  // "Archived cards" shows the archived ones (read from the API) in the board's lists instead.
  const archivedTasks = useArchivedTasks(boardId, filter.archived, state?.seq, notices.error);
  const tasks = filter.archived ? (archivedTasks ?? NO_TASKS) : state?.tasks;
  const shownTasks = useMemo(() => (tasks ? filterTasks(tasks, filter, meId, Date.now()) : undefined), [tasks, filter, meId]);
  const shownState = useMemo(() => (state && shownTasks && shownTasks !== state.tasks ? { ...state, tasks: shownTasks } : state), [state, shownTasks]);
  const setFilter = (next: TaskFilter, replace: boolean) => setParams(withFilter(params, next), { replace });
  const search = params.toString() ? `?${params.toString()}` : "";

  const closed = state?.closed ?? null;
  useEffect(() => {
    if (closed) navigate("/", { replace: true, state: { closed } });
  }, [closed, navigate]);

  const title = state?.board.title;
  useEffect(() => {
    document.title = title ? `${title} · Hintro` : "Hintro";
    return () => {
      document.title = "Hintro";
    };
  }, [title]);

  if (!state || !shownState) {
    return (
      <>
        <Header />
        <main className="board-page">
          <p className="muted" role="status">
            Opening the board…
          </p>
        </main>
      </>
    );
  }
  const board = state.board;
  const role = roleOf(board, meId);
  const canEdit = role === "owner" || role === "editor";
  const task = cardId ? state.tasks[cardId] : undefined;
  const closeCard = () => navigate(`/boards/${boardId}${search}`);

  return (
    <>
      <Header>
        <span className={`connection connection-${connection}`} data-testid="connection-state" data-state={connection === "connecting" ? "reconnecting" : connection} role="status">
          <span className="dot" aria-hidden="true" />
          {CONNECTION_TEXT[connection]}
        </span>
      </Header>
      <main className="board-page" data-role={role ?? "none"}>
        <div className="board-bar">
          {renaming ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                ops.renameBoard(String(new FormData(e.currentTarget).get("title") ?? ""));
                setRenaming(false);
              }}
            >
              <label className="sr-only" htmlFor="board-title">
                Board name
              </label>
              <input id="board-title" name="title" defaultValue={board.title} maxLength={200} autoFocus onBlur={() => setRenaming(false)} />
            </form>
          ) : (
            <h1 className="board-title">{board.title}</h1>
          )}
          {canEdit && !renaming && (
            <button type="button" onClick={() => setRenaming(true)} aria-label="Rename board">
              Rename
            </button>
          )}
          {!canEdit && <span className="badge">Read only</span>}
          <span className="grow" />
          <button type="button" aria-pressed={panel === "members"} onClick={() => setPanel(panel === "members" ? null : "members")}>
            Members ({board.members.length})
          </button>
          <button type="button" aria-pressed={panel === "labels"} onClick={() => setPanel(panel === "labels" ? null : "labels")}>
            Labels
          </button>
          <button type="button" aria-pressed={panel === "activity"} onClick={() => setPanel(panel === "activity" ? null : "activity")}>
            Activity
          </button>
          <button type="button" aria-pressed={panel === "archive"} onClick={() => setPanel(panel === "archive" ? null : "archive")}>
            Archived items
          </button>
          {role === "owner" && (
            <button type="button" aria-pressed={panel === "webhooks"} onClick={() => setPanel(panel === "webhooks" ? null : "webhooks")}>
              Webhooks
            </button>
          )}
        </div>
        <ArchivedBoardBanner board={board} isOwner={role === "owner"} handle={handle} />
        <FilterBar
          filter={filter}
          onChange={setFilter}
          members={board.members}
          labels={board.labels}
          shown={Object.keys(shownState.tasks).length}
          total={Object.keys(tasks ?? state.tasks).length}
        />
        <div className="board-body">
          {/* Archived cards are looked at, not moved: they are restored from "Archived items". */}
          <Columns state={shownState} boardId={boardId} canEdit={canEdit && !filter.archived} ops={ops} linkSearch={search} />
          {panel === "members" && (
            <MembersPanel
              board={board}
              meId={meId}
              handle={handle}
              onError={notices.error}
              onInfo={notices.info}
              onLeft={(message) => navigate("/", { replace: true, state: { closed: message } })}
            />
          )}
          {panel === "labels" && (
            <Suspense fallback={<p className="muted">Loading…</p>}>
              <LabelsPanel
                labels={board.labels}
                canEdit={canEdit}
                ops={labels}
                usage={(labelId) => Object.values(state.tasks).filter((t) => t.labelIds.includes(labelId)).length}
              />
            </Suspense>
          )}
          {panel === "activity" && <ActivityPanel boardId={boardId} seq={state.seq} onError={notices.error} />}
          {panel === "archive" && (
            <Suspense fallback={<p className="muted">Loading…</p>}>
              <ArchivePanel boardId={boardId} seq={state.seq} lists={board.lists} canEdit={canEdit} handle={handle} onError={notices.error} onInfo={notices.info} />
            </Suspense>
          )}
          {panel === "webhooks" && role === "owner" && (
            <Suspense fallback={<p className="muted">Loading…</p>}>
              <WebhooksPanel boardId={boardId} onError={notices.error} onInfo={notices.info} />
            </Suspense>
          )}
        </div>
        {cardId && task && (
          <CardDialog
            task={task}
            listTitle={board.lists.find((l) => l.id === task.listId)?.title ?? ""}
            members={board.members}
            labels={board.labels}
            meId={meId}
            canEdit={canEdit}
            ops={ops}
            onClose={closeCard}
          />
        )}
        {cardId && !task && <MissingCard onClose={closeCard} />}
      </main>
    </>
  );
}

function MissingCard({ onClose }: { onClose(): void }) {
  const notices = useNotices();
  useEffect(() => {
    notices.info("That card no longer exists; someone may have deleted it.");
    onClose();
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  return null;
}
