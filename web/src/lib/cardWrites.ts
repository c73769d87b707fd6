// A card's writes go to the server one at a time, in the order the person made them, and each
// names the version the person's own earlier writes left. The server versions a card: a PATCH
// carries the version it was based on (If-Match), so a Save sent while the person's own tick of an
// assignee is still in flight would name a version that tick is about to replace, and be refused
// as a conflict nobody caused.

export class CardWrites {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly pending = new Map<string, number>();
  /** Per card: a version the person's own write moved past → the version it made. */
  private readonly successors = new Map<string, Map<number, number>>();

  /** Send `write` once every earlier write of `cardId` has ended (answered or refused). */
  run<T>(cardId: string, write: () => Promise<T>): Promise<T> {
    const tail = this.tails.get(cardId) ?? Promise.resolve();
    this.pending.set(cardId, (this.pending.get(cardId) ?? 0) + 1);
    const result = tail.then(write).finally(() => this.ended(cardId));
    this.tails.set(cardId, result.catch(() => undefined));
    return result;
  }

  /** Whether writes of `cardId` are waiting or in flight: an answer that is not the last one
   * queued is not shown, or the screen would step back before the next answer. */
  busy(cardId: string): boolean {
    return (this.pending.get(cardId) ?? 0) > 0;
  }

  /** The version to send for a card the person saw at `seen`: past every one of their own writes
   * since, and no further (someone else's write in between is a real conflict). */
  version(cardId: string, seen: number): number {
    const moves = this.successors.get(cardId);
    let version = seen;
    for (let next = moves?.get(version); next !== undefined; next = moves?.get(version)) version = next;
    return version;
  }

  /** Record that the person's write sent at `from` answered `to`. Only a step of one is theirs
   * alone; a bigger step includes someone else's write, which later writes must not skip. */
  answered(cardId: string, from: number, to: number): void {
    if (to !== from + 1) return;
    const moves = this.successors.get(cardId) ?? new Map<number, number>();
    moves.set(from, to);
    this.successors.set(cardId, moves);
  }

  private ended(cardId: string): void {
    const left = (this.pending.get(cardId) ?? 1) - 1;
    if (left > 0) {
      this.pending.set(cardId, left);
      return;
    }
    this.pending.delete(cardId);
    this.tails.delete(cardId);
  }
}
