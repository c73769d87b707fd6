// The open board: loaded over REST, kept current by the Socket.IO stream (join with sinceSeq,
// replay on reconnect, reload on resync), and changed optimistically by the person's own writes.
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { api, fetchBoard, paths } from "../api/boards";
import { get } from "../api/client";
import { ApiError, sentence, type Action } from "../api/errors";
import { liveSocket } from "../api/live";
import { refresh } from "../api/session";
import type { BoardWithLists, JoinAck, Push } from "../api/types";
import { classify, reduce, type BoardAction, type BoardState } from "../lib/boardState";

export type Connection = "connecting" | "live" | "reconnecting" | "offline";

export interface BoardHandle {
  state: BoardState | null;
  connection: Connection;
  dispatch(action: BoardAction): void;
  /** Run a write: `apply` changes the screen now, `undo` puts it back when the server refuses,
   * and the refusal becomes a sentence. Resolves to the server's answer, or null when refused. */
  write<T>(action: Action, run: () => Promise<T>, apply?: () => void, undo?: () => void): Promise<T | null>;
  reload(): Promise<void>;
}

export function useBoard(boardId: string, me: string, onError: (text: string) => void): BoardHandle {
  const [state, dispatch] = useReducer(reduce, null);
  const [connection, setConnection] = useState<Connection>("connecting");
  const stateRef = useRef<BoardState | null>(null);
  stateRef.current = state;
  const errorRef = useRef(onError);
  errorRef.current = onError;

  const reload = useCallback(
    async (seq?: number) => {
      try {
        const { board, tasks } = await fetchBoard(boardId);
        dispatch({ type: "loaded", board, tasks, seq });
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          dispatch({ type: "loaded", board: stateRef.current?.board ?? emptyBoard(boardId), tasks: [] });
          dispatch({ type: "close", message: GONE });
        } else errorRef.current(sentence(error, "load"));
      }
    },
    [boardId],
  );

  useEffect(() => {
    const socket = liveSocket();
    let disposed = false;
    let joined = false;
    // The order that loses nothing: read the board's activity seq S, then load the board (it holds
    // at least everything up to S) while the socket joins with sinceSeq S (it replays everything
    // after S; what the load already holds is recognised by seq and version and changes nothing).
    // Pushes that arrive before the load are kept and applied after it.
    let loaded = false;
    let seqKnown = false;
    const early: Push[] = [];
    const flush = () => {
      for (const push of early.splice(0)) dispatch({ type: "push", push, me });
    };
    const load = async (seq?: number) => {
      loaded = false;
      await reload(seq);
      if (disposed) return;
      loaded = true;
      seqKnown = seq !== undefined;
      flush();
    };
    const seqRead: Promise<number | null> = get<{ seq: number }>(`${paths.activity(boardId)}?afterSeq=0&limit=0`).then(
      (answer) => answer.seq,
      () => null,
    );

    const join = async (): Promise<void> => {
      const base = await seqRead;
      if (disposed) return;
      const current = stateRef.current;
      const since = current && seqKnown ? current.seq : base;
      const payload = since !== null ? { boardId, sinceSeq: since } : { boardId };
      let ack: JoinAck;
      try {
        ack = (await socket.timeout(10000).emitWithAck("board:join", payload)) as JoinAck;
      } catch {
        if (!disposed && socket.connected) void join();
        return;
      }
      if (disposed) return;
      if (!ack.ok) {
        if (ack.error === "not_found") {
          dispatch({ type: "close", message: GONE });
        } else if (ack.error === "unauthorized") {
          if (await refresh()) socket.disconnect().connect();
        } else {
          setTimeout(() => void join(), 1000);
        }
        return;
      }
      joined = true;
      if (since === null || ack.resync) await load(ack.seq);
      setConnection("live");
    };

    const onPush = (push: Push) => {
      if (push.boardId !== boardId) return;
      const current = stateRef.current;
      if (!loaded || !current) {
        early.push(push);
        return;
      }
      if (seqKnown && classify(current.seq, push) === "gap") {
        // Something was missed: the rejoin replays everything after what we have, in order.
        void join();
        return;
      }
      dispatch({ type: "push", push, me });
    };
    const onDisconnect = () => {
      joined = false;
      setConnection(navigator.onLine ? "reconnecting" : "offline");
    };
    const onOffline = () => setConnection("offline");
    const onOnline = () => setConnection(socket.connected && joined ? "live" : "reconnecting");

    socket.on("connect", join);
    socket.on("event", onPush);
    socket.on("disconnect", onDisconnect);
    socket.io.on("reconnect_attempt", onDisconnect);
    window.addEventListener("offline", onOffline);
    window.addEventListener("online", onOnline);
    if (socket.connected) void join();
    void seqRead.then((seq) => {
      if (seq !== null && !disposed) void load(seq);
    });
    // Without the activity seq or the live stream the board still opens; a later join reloads it.
    const fallback = setTimeout(() => {
      if (!stateRef.current) void load();
      if (!socket.connected) setConnection(navigator.onLine ? "reconnecting" : "offline");
    }, 3000);
    return () => {
      disposed = true;
      clearTimeout(fallback);
      socket.off("connect", join);
      socket.off("event", onPush);
      socket.off("disconnect", onDisconnect);
      socket.io.off("reconnect_attempt", onDisconnect);
      window.removeEventListener("offline", onOffline);
      window.removeEventListener("online", onOnline);
      if (socket.connected) socket.emit("board:leave", { boardId });
    };
  }, [boardId, me, reload]);

  // A new member's name is not in the push: read the members again.
  const membersStale = state?.membersStale ?? false;
  useEffect(() => {
    if (!membersStale) return;
    api<BoardWithLists>("GET", paths.board(boardId)).then(
      (board) => dispatch({ type: "members", members: board.members }),
      () => undefined,
    );
  }, [membersStale, boardId]);

  const write = useCallback(
    async <T,>(action: Action, run: () => Promise<T>, apply?: () => void, undo?: () => void): Promise<T | null> => {
      apply?.();
      try {
        return await run();
      } catch (error) {
        undo?.();
        errorRef.current(sentence(error, action));
        if (error instanceof ApiError && (error.status === 412 || error.status === 404 || error.status === 422 || error.status === 403)) {
          // What we showed was out of date: show the server's view.
          void reload();
        }
        return null;
      }
    },
    [reload],
  );

  return { state, connection, dispatch, write, reload: () => reload() };
}

const GONE = "This board no longer exists, or you are no longer a member of it.";

function emptyBoard(boardId: string): BoardWithLists {
  return { id: boardId, title: "", description: "", ownerId: "", members: [], labels: [], createdAt: "", updatedAt: "", version: 0, archivedAt: null, lists: [] };
}
