// The board's archived cards, for the filter's "Archived cards" view: loaded only while it is
// on, again whenever the board's seq moves (an archive or restore anywhere on the board).
import { useEffect, useState } from "react";
import { fetchArchivedTasks } from "../api/boards";
import { sentence } from "../api/errors";
import type { Task } from "../api/types";

export function useArchivedTasks(boardId: string, enabled: boolean, seq: number | undefined, onError: (text: string) => void): Record<string, Task> | undefined {
  const [tasks, setTasks] = useState<Record<string, Task> | undefined>(undefined);
  useEffect(() => {
    if (!enabled) {
      setTasks(undefined);
      return;
    }
    let cancelled = false;
    fetchArchivedTasks(boardId).then(
      (archived) => !cancelled && setTasks(Object.fromEntries(archived.map((task) => [task.id, task]))),
      (error) => !cancelled && onError(sentence(error, "load")),
    );
    return () => {
      cancelled = true;
    };
  }, [boardId, enabled, seq]); // eslint-disable-line react-hooks/exhaustive-deps
  return tasks;
}
