import { describe, expect, it } from "vitest";
import { CardWrites } from "./cardWrites";

/** A promise and the hands that settle it. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("CardWrites", () => {
  it("sends a card's second write only once its first has ended", async () => {
    const cards = new CardWrites();
    const first = deferred<string>();
    const sent: string[] = [];
    const a = cards.run("t1", () => (sent.push("a"), first.promise));
    const b = cards.run("t1", async () => (sent.push("b"), "b"));
    await Promise.resolve();
    await Promise.resolve();
    expect(sent).toEqual(["a"]);
    expect(cards.busy("t1")).toBe(true);
    first.resolve("a");
    await expect(a).resolves.toBe("a");
    await expect(b).resolves.toBe("b");
    expect(sent).toEqual(["a", "b"]);
    expect(cards.busy("t1")).toBe(false);
  });

  it("keeps other cards' writes independent", async () => {
    const cards = new CardWrites();
    const held = deferred<string>();
    void cards.run("t1", () => held.promise);
    await expect(cards.run("t2", async () => "free")).resolves.toBe("free");
    expect(cards.busy("t1")).toBe(true);
    expect(cards.busy("t2")).toBe(false);
    held.resolve("done");
  });

  it("sends the next write after a refused one", async () => {
    const cards = new CardWrites();
    const refused = cards.run("t1", async () => {
      throw new Error("412");
    });
    const next = cards.run("t1", async () => "sent");
    await expect(refused).rejects.toThrow("412");
    await expect(next).resolves.toBe("sent");
    expect(cards.busy("t1")).toBe(false);
  });

  it("says the card is busy to a first answer while a later write waits", async () => {
    const cards = new CardWrites();
    const busyAtAnswer: boolean[] = [];
    const a = cards.run("t1", async () => "a").then(() => busyAtAnswer.push(cards.busy("t1")));
    const b = cards.run("t1", async () => "b").then(() => busyAtAnswer.push(cards.busy("t1")));
    await Promise.all([a, b]);
    expect(busyAtAnswer).toEqual([true, false]);
  });

  it("follows the person's own version steps, and only those", () => {
    const cards = new CardWrites();
    cards.answered("t1", 4, 5);
    cards.answered("t1", 5, 6);
    expect(cards.version("t1", 4)).toBe(6);
    expect(cards.version("t1", 5)).toBe(6);
    expect(cards.version("t1", 7)).toBe(7);
    expect(cards.version("t2", 4)).toBe(4);
    // 6 → 8: someone else wrote in between; a write based on 6 must still be refused.
    cards.answered("t1", 6, 8);
    expect(cards.version("t1", 4)).toBe(6);
  });
});
