// The person's writes to the board's labels, optimistic like every board write: the label
// manager shows the change at once and the server's answer (or refusal) settles it.
import { api, paths } from "../api/boards";
import type { Label } from "../api/types";
import type { BoardState } from "../lib/boardState";
import { makeLabel, type LabelColor } from "../lib/labels";
import { isTemp } from "./ops";
import type { BoardHandle } from "./useBoard";

let temp = 0;

const labelsPath = (boardId: string) => `${paths.board(boardId)}/labels`;
const labelPath = (boardId: string, labelId: string) => `${labelsPath(boardId)}/${encodeURIComponent(labelId)}`;

export function labelOps(handle: BoardHandle, getState: () => BoardState | null) {
  const { dispatch, write } = handle;
  return {
    createLabel(name: string, color: LabelColor) {
      const state = getState();
      if (!state || !name.trim()) return Promise.resolve(null);
      const id = `tmp-label-${++temp}`;
      return write(
        "label",
        () => api<Label>("POST", labelsPath(state.board.id), { body: { name, color } }),
        () => dispatch({ type: "labelPut", label: makeLabel(id, name.trim(), color) }),
        () => dispatch({ type: "labelRemove", labelId: id }),
      ).then((saved) => {
        if (saved) dispatch({ type: "labelPut", label: saved, replaces: id });
        return saved;
      });
    },

    updateLabel(label: Label, changes: { name?: string; color?: LabelColor }) {
      const state = getState();
      if (!state || isTemp(label.id) || label.id.startsWith("tmp-label-")) return Promise.resolve(null);
      const color = changes.color ?? (label.color as LabelColor);
      const next = makeLabel(label.id, changes.name?.trim() || label.name, color);
      return write(
        "label",
        () => api<Label>("PATCH", labelPath(state.board.id, label.id), { body: changes }),
        () => dispatch({ type: "labelPut", label: next }),
        () => dispatch({ type: "labelPut", label }),
      ).then((saved) => {
        if (saved) dispatch({ type: "labelPut", label: saved });
        return saved;
      });
    },

    deleteLabel(label: Label) {
      const state = getState();
      if (!state) return;
      const tasks = Object.values(state.tasks).filter((t) => t.labelIds.includes(label.id));
      void write(
        "label",
        () => api("DELETE", labelPath(state.board.id, label.id)),
        () => dispatch({ type: "labelRemove", labelId: label.id }),
        () => {
          dispatch({ type: "labelPut", label });
          for (const task of tasks) dispatch({ type: "taskPut", task });
        },
      );
    },
  };
}

export type LabelOps = ReturnType<typeof labelOps>;
