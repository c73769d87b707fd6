// The pure rules of a card's checklists on the client: progress, and the guesses an optimistic
// write shows until the server's answer (the task's checklists as they are after it) replaces them.
import type { Checklist, ChecklistItem, ChecklistProgress, Checklists } from "../../api/types";
import { between, compare } from "../../lib/positions";

export const CHECKLIST_TITLE_MAX = 200;
export const ITEM_TEXT_MAX = 1000;

export function progressOf(checklists: readonly Checklist[]): ChecklistProgress {
  let done = 0;
  let total = 0;
  for (const checklist of checklists) {
    for (const item of checklist.items) {
      total += 1;
      if (item.done) done += 1;
    }
  }
  return { done, total };
}

/** Whole percent done of one checklist (0 when it has no items). */
export function percentDone(checklist: Checklist): number {
  const { done, total } = progressOf([checklist]);
  return total === 0 ? 0 : Math.round((done * 100) / total);
}

function sorted<T extends { position: string; id: string }>(things: T[]): T[] {
  return [...things].sort((a, b) => compare(a.position, b.position) || compare(a.id, b.id));
}

/** `checklists` with `update` applied, progress recomputed, order kept by position. */
export function withChecklists(current: Checklists, update: (lists: Checklist[]) => Checklist[]): Checklists {
  const checklists = sorted(update(current.checklists)).map((c) => ({ ...c, items: sorted(c.items) }));
  return { ...current, checklists, checklistProgress: progressOf(checklists) };
}

function onChecklist(checklistId: string, change: (c: Checklist) => Checklist) {
  return (lists: Checklist[]) => lists.map((c) => (c.id === checklistId ? change(c) : c));
}

export function addChecklist(current: Checklists, checklist: { id: string; title: string }): Checklists {
  const last = current.checklists.at(-1)?.position ?? null;
  return withChecklists(current, (lists) => [...lists, { ...checklist, position: between(last, null), items: [] }]);
}

export function renameChecklist(current: Checklists, checklistId: string, title: string): Checklists {
  return withChecklists(current, onChecklist(checklistId, (c) => ({ ...c, title })));
}

export function removeChecklist(current: Checklists, checklistId: string): Checklists {
  return withChecklists(current, (lists) => lists.filter((c) => c.id !== checklistId));
}

export function addItem(current: Checklists, checklistId: string, item: { id: string; text: string }): Checklists {
  return withChecklists(
    current,
    onChecklist(checklistId, (c) => {
      const last = c.items.at(-1)?.position ?? null;
      const added: ChecklistItem = { ...item, done: false, position: between(last, null), assigneeId: null, dueDate: null };
      return { ...c, items: [...c.items, added] };
    }),
  );
}

export type ItemChanges = Partial<Pick<ChecklistItem, "text" | "done" | "assigneeId" | "dueDate">>;

export function changeItem(current: Checklists, checklistId: string, itemId: string, changes: ItemChanges): Checklists {
  return withChecklists(
    current,
    onChecklist(checklistId, (c) => ({ ...c, items: c.items.map((i) => (i.id === itemId ? { ...i, ...changes } : i)) })),
  );
}

export function removeItem(current: Checklists, checklistId: string, itemId: string): Checklists {
  return withChecklists(current, onChecklist(checklistId, (c) => ({ ...c, items: c.items.filter((i) => i.id !== itemId) })));
}

/** The checklist's items put in `order` (item ids): the moved item gets a position between its
 * new neighbours, the others keep theirs. */
export function moveItem(current: Checklists, checklistId: string, itemId: string, order: readonly string[]): Checklists {
  return withChecklists(
    current,
    onChecklist(checklistId, (c) => {
      const byId = new Map(c.items.map((i) => [i.id, i]));
      const index = order.indexOf(itemId);
      const neighbour = (i: number) => byId.get(order[i] ?? "")?.position ?? null;
      const position = between(neighbour(index - 1), neighbour(index + 1));
      return { ...c, items: c.items.map((i) => (i.id === itemId ? { ...i, position } : i)) };
    }),
  );
}

/** The item moved from checklist `fromId` into checklist `toId`, where `order` (the target's item
 * ids, the moved one included) says where: it gets a position between its new neighbours. */
export function moveItemTo(current: Checklists, fromId: string, toId: string, itemId: string, order: readonly string[]): Checklists {
  if (fromId === toId) return moveItem(current, toId, itemId, order);
  const moved = current.checklists.find((c) => c.id === fromId)?.items.find((i) => i.id === itemId);
  if (!moved) return current;
  return withChecklists(current, (lists) =>
    lists.map((c) => {
      if (c.id === fromId) return { ...c, items: c.items.filter((i) => i.id !== itemId) };
      if (c.id !== toId) return c;
      const byId = new Map(c.items.map((i) => [i.id, i]));
      const index = order.indexOf(itemId);
      const neighbour = (i: number) => byId.get(order[i] ?? "")?.position ?? null;
      return { ...c, items: [...c.items, { ...moved, position: between(neighbour(index - 1), neighbour(index + 1)) }] };
    }),
  );
}

/** Where a dragged item lands: the checklist it is over (`over` is one of its items, or the
 * checklist itself as `list:<id>`) and that checklist's item ids with the item placed there. */
export function dropTarget(checklists: readonly Checklist[], itemId: string, over: string): { checklistId: string; order: string[] } | null {
  const listId = over.startsWith("list:") ? over.slice(5) : checklists.find((c) => c.items.some((i) => i.id === over))?.id;
  const target = checklists.find((c) => c.id === listId);
  if (!target) return null;
  const ids = target.items.map((i) => i.id);
  const from = ids.indexOf(itemId);
  if (from >= 0) {
    // Within its own checklist: the item takes the place of the one it is over (over the
    // checklist itself it stays where it is).
    if (over.startsWith("list:")) return null;
    const to = ids.indexOf(over);
    const order = ids.filter((id) => id !== itemId);
    order.splice(to, 0, itemId);
    return { checklistId: target.id, order };
  }
  const at = over.startsWith("list:") ? ids.length : ids.indexOf(over);
  return { checklistId: target.id, order: [...ids.slice(0, at), itemId, ...ids.slice(at)] };
}

/** An item's due date as the value of an <input type="date">. */
export function dateValue(due: string | null): string {
  return due ? due.slice(0, 10) : "";
}
