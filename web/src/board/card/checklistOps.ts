// A card's checklist writes, each optimistic like the board's: the dialog shows the change and
// the card's badge its new progress at once; the server's answer (the task's checklists and
// version) replaces the guess; a refusal puts the old state back with a sentence and reads the
// checklists again.
import { api, get } from "../../api/client";
import type { Checklists } from "../../api/types";
import type { CardWrites } from "../../lib/cardWrites";
import { anchorsFor } from "../../lib/positions";
import type { BoardHandle } from "../useBoard";
import * as logic from "./checklistLogic";

const enc = encodeURIComponent;

export const checklistPaths = {
  all: (taskId: string) => `/api/tasks/${enc(taskId)}/checklists`,
  one: (taskId: string, checklistId: string) => `/api/tasks/${enc(taskId)}/checklists/${enc(checklistId)}`,
  items: (taskId: string, checklistId: string) => `/api/tasks/${enc(taskId)}/checklists/${enc(checklistId)}/items`,
  item: (taskId: string, checklistId: string, itemId: string) =>
    `/api/tasks/${enc(taskId)}/checklists/${enc(checklistId)}/items/${enc(itemId)}`,
};

/** The dialog's copy of a card's checklists. */
export interface LocalChecklists {
  get(): Checklists | null;
  set(next: Checklists): void;
  /** Read them from the server again (after a refusal: what we showed was out of date). */
  reload(): void;
}

let temp = 0;
const tempId = () => `tmp-c${++temp}`;

/** Where `itemId` lands in `order`, by its saved neighbours (items still being created have no
 * server id to name). */
function savedAnchors(order: readonly string[], itemId: string) {
  return anchorsFor(
    order.filter((id) => !id.startsWith("tmp-") || id === itemId),
    itemId,
  );
}

/** `cards` orders these writes with the card's others (each raises the card's version);
 * `seen(taskId)` is the card's version as shown. */
export function checklistOps(
  handle: Pick<BoardHandle, "dispatch" | "write">,
  cards: CardWrites,
  seen: (taskId: string) => number,
) {
  const { dispatch, write } = handle;

  function change(taskId: string, local: LocalChecklists, guess: (c: Checklists) => Checklists, request: () => Promise<Checklists>) {
    const before = local.get();
    const send = () =>
      cards.run(taskId, async () => {
        const from = cards.version(taskId, seen(taskId));
        const answer = await request();
        cards.answered(taskId, from, answer.version);
        return answer;
      });
    return write(
      "checklist",
      send,
      () => {
        if (!before) return;
        const next = guess(before);
        local.set(next);
        dispatch({ type: "taskProgress", taskId, checklistProgress: next.checklistProgress });
      },
      () => {
        if (before) {
          local.set(before);
          dispatch({ type: "taskProgress", taskId, checklistProgress: before.checklistProgress });
        }
        local.reload();
      },
    ).then((answer) => {
      if (answer) {
        local.set(answer);
        dispatch({ type: "taskProgress", taskId, checklistProgress: answer.checklistProgress, version: answer.version });
      }
      return answer;
    });
  }

  return {
    load: (taskId: string) => get<Checklists>(checklistPaths.all(taskId)),

    addChecklist(taskId: string, local: LocalChecklists, title: string) {
      return change(
        taskId,
        local,
        (c) => logic.addChecklist(c, { id: tempId(), title }),
        () => api<Checklists>("POST", checklistPaths.all(taskId), { body: { title } }),
      );
    },

    renameChecklist(taskId: string, local: LocalChecklists, checklistId: string, title: string) {
      return change(
        taskId,
        local,
        (c) => logic.renameChecklist(c, checklistId, title),
        () => api<Checklists>("PATCH", checklistPaths.one(taskId, checklistId), { body: { title } }),
      );
    },

    deleteChecklist(taskId: string, local: LocalChecklists, checklistId: string) {
      return change(
        taskId,
        local,
        (c) => logic.removeChecklist(c, checklistId),
        () => api<Checklists>("DELETE", checklistPaths.one(taskId, checklistId)),
      );
    },

    addItem(taskId: string, local: LocalChecklists, checklistId: string, text: string) {
      return change(
        taskId,
        local,
        (c) => logic.addItem(c, checklistId, { id: tempId(), text }),
        () => api<Checklists>("POST", checklistPaths.items(taskId, checklistId), { body: { text } }),
      );
    },

    changeItem(taskId: string, local: LocalChecklists, checklistId: string, itemId: string, changes: logic.ItemChanges) {
      return change(
        taskId,
        local,
        (c) => logic.changeItem(c, checklistId, itemId, changes),
        () => api<Checklists>("PATCH", checklistPaths.item(taskId, checklistId, itemId), { body: changes }),
      );
    },

    /** Move `itemId` so that its checklist's order becomes `order`. */
    moveItem(taskId: string, local: LocalChecklists, checklistId: string, itemId: string, order: readonly string[]) {
      const anchors = savedAnchors(order, itemId);
      return change(
        taskId,
        local,
        (c) => logic.moveItem(c, checklistId, itemId, order),
        () => api<Checklists>("POST", `${checklistPaths.item(taskId, checklistId, itemId)}/move`, { body: anchors }),
      );
    },

    /** Into another checklist (`order`: the target's item ids with this one where it lands). */
    moveItemTo(taskId: string, local: LocalChecklists, fromId: string, toId: string, itemId: string, order: readonly string[]) {
      const anchors = savedAnchors(order, itemId);
      return change(
        taskId,
        local,
        (c) => logic.moveItemTo(c, fromId, toId, itemId, order),
        () => api<Checklists>("POST", `${checklistPaths.item(taskId, fromId, itemId)}/move`, { body: { checklistId: toId, ...anchors } }),
      );
    },

    deleteItem(taskId: string, local: LocalChecklists, checklistId: string, itemId: string) {
      return change(
        taskId,
        local,
        (c) => logic.removeItem(c, checklistId, itemId),
        () => api<Checklists>("DELETE", checklistPaths.item(taskId, checklistId, itemId)),
      );
    },
  };
}

export type ChecklistOps = ReturnType<typeof checklistOps>;
