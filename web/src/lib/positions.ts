// Order on the client. The server orders lists and tasks by an opaque `position` string compared
// byte by byte; clients never send positions, they name neighbours (afterId/beforeId). For an
// optimistic move the app needs a position that sorts between two neighbours until the server's
// answer brings the real one: `between` makes one.

export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A string strictly before `b` (non-empty `b`). */
function before(b: string): string {
  const last = b.charCodeAt(b.length - 1);
  if (last > 1) return b.slice(0, -1) + String.fromCharCode(last - 1) + "~";
  return b.slice(0, -1);
}

/** A string strictly between `a` and `b` in byte order (null = no bound on that side). */
export function between(a: string | null, b: string | null): string {
  if (a === null && b === null) return "m";
  if (b === null) return `${a}V`;
  if (a === null) return before(b);
  // a < b: unless a is a prefix of b, anything that starts with a stays below b.
  if (!b.startsWith(a)) return `${a}V`;
  return a + before(b.slice(a.length));
}

export interface Anchors {
  afterId?: string;
  beforeId?: string;
}

/** Where an item ends up among `ids` (the target container's order after the move, the moved
 * item included), said as its neighbour: after the previous item, or before the next one when it
 * went first. One anchor, so a neighbour that moved meanwhile cannot make the pair invalid. */
export function anchorsFor(ids: readonly string[], movedId: string): Anchors {
  const index = ids.indexOf(movedId);
  if (index < 0) return {};
  const previous = ids[index - 1];
  if (previous !== undefined) return { afterId: previous };
  const next = ids[index + 1];
  if (next !== undefined) return { beforeId: next };
  return {};
}

/** `ids` with `movedId` taken out and put at `index` (of the list without it). */
export function placeAt(ids: readonly string[], movedId: string, index: number): string[] {
  const rest = ids.filter((id) => id !== movedId);
  const at = Math.max(0, Math.min(index, rest.length));
  return [...rest.slice(0, at), movedId, ...rest.slice(at)];
}
