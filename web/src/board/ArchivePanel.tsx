// The board's archived lists and cards, each with Restore and Delete permanently. A card whose
// list is archived or gone asks where it should go instead. Loaded lazily: opened rarely.
import { useCallback, useEffect, useState } from "react";
import { api, get } from "../api/client";
import { fetchArchivedTasks, paths } from "../api/boards";
import { ApiError, sentence } from "../api/errors";
import type { List, Task } from "../api/types";
import { Confirm, Modal } from "../components/Modal";
import type { BoardHandle } from "./useBoard";

interface Props {
  boardId: string;
  /** The board's seq: the panel reads the archive again whenever it moves. */
  seq: number;
  lists: List[];
  canEdit: boolean;
  handle: BoardHandle;
  onError(text: string): void;
  onInfo(text: string): void;
}

type Doomed = { kind: "list"; item: List } | { kind: "card"; item: Task };

/** Whether a refused restore means "its list is archived or gone" (the client may choose). */
export function needsList(error: unknown): boolean {
  return error instanceof ApiError && error.status === 422 && error.errors.some((e) => e.type === "list_archived" || e.type === "list_deleted");
}

export function ArchivePanel({ boardId, seq, lists, canEdit, handle, onError, onInfo }: Props) {
  const [archivedLists, setLists] = useState<List[] | null>(null);
  const [archivedCards, setCards] = useState<Task[] | null>(null);
  const [doomed, setDoomed] = useState<Doomed | null>(null);
  const [placing, setPlacing] = useState<{ task: Task; reason: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(() => {
    let cancelled = false;
    Promise.all([get<List[]>(`${paths.lists(boardId)}?archived=true`), fetchArchivedTasks(boardId)]).then(
      ([listsAnswer, tasksAnswer]) => {
        if (cancelled) return;
        setLists(listsAnswer);
        setCards(tasksAnswer);
      },
      (error) => !cancelled && onError(sentence(error, "load")),
    );
    return () => {
      cancelled = true;
    };
  }, [boardId, onError]);
  useEffect(() => load(), [load, seq]);

  async function run<T>(key: string, action: "list" | "card", request: () => Promise<T>): Promise<T | null> {
    setBusy(key);
    try {
      return await request();
    } catch (error) {
      if (action === "card" && needsList(error)) throw error;
      onError(sentence(error, action));
      return null;
    } finally {
      setBusy(null);
      load();
    }
  }

  async function restoreList(list: List) {
    const restored = await run(list.id, "list", () => api<List>("POST", paths.restore(paths.list(list.id))));
    // Its cards follow as the server restores them (pushed to every screen, this one too).
    if (restored) {
      handle.dispatch({ type: "listPut", list: restored });
      onInfo(`“${restored.title}” is back on the board.`);
    }
  }

  async function restoreCard(task: Task, listId?: string) {
    try {
      const body = listId ? { body: { listId } } : {};
      const restored = await run(task.id, "card", () => api<Task>("POST", paths.restore(paths.task(task.id)), body));
      if (restored) {
        setPlacing(null);
        handle.dispatch({ type: "taskPut", task: restored });
        onInfo(`“${restored.title}” is back on the board.`);
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const archived = error.errors.some((e) => e.type === "list_archived");
      const reason = archived ? "The list this card was in is archived." : "The list this card was in no longer exists.";
      setPlacing({ task, reason: `${reason} Choose a list to put it in.` });
    }
  }

  async function deleteForGood(target: Doomed) {
    const path = target.kind === "list" ? paths.list(target.item.id) : paths.task(target.item.id);
    const done = await run(target.item.id, target.kind, () => api("DELETE", path).then(() => true));
    if (done) onInfo(`“${target.item.title}” was deleted permanently.`);
  }

  // Cards archived with their list come back with it: the list shows how many it holds.
  const loose = archivedCards?.filter((task) => !task.archivedWithList) ?? [];
  const withList = (listId: string) => archivedCards?.filter((task) => task.archivedWithList && task.listId === listId).length ?? 0;
  const loading = archivedLists === null || archivedCards === null;

  return (
    <aside className="side-panel archive" aria-labelledby="archive-heading" data-testid="archive-panel">
      <h2 id="archive-heading">Archived items</h2>
      {loading && <p className="muted">Loading…</p>}
      {!loading && (
        <>
          <h3>Lists</h3>
          {archivedLists.length === 0 ? (
            <p className="muted">No archived lists.</p>
          ) : (
            <ul className="plain archived-items" aria-label="Archived lists">
              {archivedLists.map((list) => (
                <li key={list.id} className="archived-item" data-testid="archived-list">
                  <span className="grow">
                    {list.title}
                    <span className="muted small block">
                      {withList(list.id)} card{withList(list.id) === 1 ? "" : "s"}
                    </span>
                  </span>
                  {canEdit && (
                    <span className="row">
                      <button type="button" disabled={busy === list.id} onClick={() => void restoreList(list)} aria-label={`Restore list ${list.title}`}>
                        Restore
                      </button>
                      <button type="button" className="danger" onClick={() => setDoomed({ kind: "list", item: list })} aria-label={`Delete list ${list.title} permanently`}>
                        Delete
                      </button>
                    </span>
                  )}
                </li>
              ))}
            </ul>
          )}
          <h3>Cards</h3>
          {loose.length === 0 ? (
            <p className="muted">No archived cards.</p>
          ) : (
            <ul className="plain archived-items" aria-label="Archived cards">
              {loose.map((task) => (
                <li key={task.id} className="archived-item" data-testid="archived-card">
                  <span className="grow">{task.title}</span>
                  {canEdit && (
                    <span className="row">
                      <button type="button" disabled={busy === task.id} onClick={() => void restoreCard(task)} aria-label={`Restore card ${task.title}`}>
                        Restore
                      </button>
                      <button type="button" className="danger" onClick={() => setDoomed({ kind: "card", item: task })} aria-label={`Delete card ${task.title} permanently`}>
                        Delete
                      </button>
                    </span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {doomed && (
        <Confirm
          title={doomed.kind === "list" ? "Delete list permanently?" : "Delete card permanently?"}
          message={
            doomed.kind === "list"
              ? `“${doomed.item.title}” and every card in it will be deleted for everyone on the board. This cannot be undone.`
              : `“${doomed.item.title}” will be deleted for everyone on the board. This cannot be undone.`
          }
          confirmLabel="Delete permanently"
          onConfirm={() => void deleteForGood(doomed)}
          onClose={() => setDoomed(null)}
        />
      )}
      {placing && <ChooseList task={placing.task} reason={placing.reason} lists={lists} onChoose={(listId) => void restoreCard(placing.task, listId)} onClose={() => setPlacing(null)} />}
    </aside>
  );
}

function ChooseList({ task, reason, lists, onChoose, onClose }: { task: Task; reason: string; lists: List[]; onChoose(listId: string): void; onClose(): void }) {
  const [listId, setListId] = useState(lists[0]?.id ?? "");
  return (
    <Modal title={`Restore “${task.title}” to…`} onClose={onClose} testId="choose-list-dialog">
      <p>{reason}</p>
      {lists.length === 0 ? (
        <p className="muted">The board has no list to put it in. Create a list or restore one first.</p>
      ) : (
        <form
          className="stack"
          onSubmit={(event) => {
            event.preventDefault();
            onChoose(listId);
          }}
        >
          <label>
            List
            <select value={listId} onChange={(event) => setListId(event.target.value)}>
              {lists.map((list) => (
                <option key={list.id} value={list.id}>
                  {list.title}
                </option>
              ))}
            </select>
          </label>
          <div className="row end">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary">
              Restore here
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
