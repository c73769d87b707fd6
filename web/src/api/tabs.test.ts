// Tab coordination with stand-ins for Web Locks and BroadcastChannel: refreshes never overlap
// across tabs; a sign-out is heard by every other tab.
import { describe, expect, it } from "vitest";
import { REFRESH_LOCK, SessionTabs, withRefreshLock, type Channel, type Locks } from "./tabs";

/** One origin's lock manager: exclusive locks granted in request order. */
function fakeLocks(): Locks & { names: string[] } {
  let tail: Promise<unknown> = Promise.resolve();
  const names: string[] = [];
  return {
    names,
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      names.push(name);
      const run = tail.then(callback, callback);
      tail = run.catch(() => undefined);
      return run;
    },
  };
}

/** Channels of one name in several tabs: a message reaches every other tab's listeners. */
function fakeChannels(count: number): Channel[] {
  const listeners = Array.from({ length: count }, () => new Set<(event: MessageEvent) => void>());
  return listeners.map((own) => ({
    postMessage(message: unknown) {
      for (const other of listeners) {
        if (other === own) continue;
        for (const listener of other) listener({ data: message } as MessageEvent);
      }
    },
    addEventListener: (_type, listener) => void own.add(listener),
    removeEventListener: (_type, listener) => void own.delete(listener),
  }));
}

describe("withRefreshLock", () => {
  it("runs two tabs' refreshes one after the other", async () => {
    const locks = fakeLocks();
    const log: string[] = [];
    let release: () => void = () => undefined;
    const first = withRefreshLock(async () => {
      log.push("a:start");
      await new Promise<void>((resolve) => (release = resolve));
      log.push("a:end");
      return "a";
    }, locks);
    const second = withRefreshLock(async () => {
      log.push("b:start");
      return "b";
    }, locks);
    await Promise.resolve();
    expect(log).toEqual(["a:start"]);
    release();
    await expect(Promise.all([first, second])).resolves.toEqual(["a", "b"]);
    expect(log).toEqual(["a:start", "a:end", "b:start"]);
    expect(locks.names).toEqual([REFRESH_LOCK, REFRESH_LOCK]);
  });

  it("still runs a refresh whose predecessor failed", async () => {
    const locks = fakeLocks();
    const failed = withRefreshLock(() => Promise.reject(new Error("offline")), locks);
    await expect(failed).rejects.toThrow("offline");
    await expect(withRefreshLock(async () => "ok", locks)).resolves.toBe("ok");
  });

  it("runs directly without Web Locks", async () => {
    await expect(withRefreshLock(async () => 7, null)).resolves.toBe(7);
  });
});

describe("SessionTabs", () => {
  it("tells every other tab, not itself, that the session ended", () => {
    const [a, b, c] = fakeChannels(3).map((channel) => new SessionTabs(channel));
    const heard: string[] = [];
    a?.onSignedOutElsewhere(() => heard.push("a"));
    b?.onSignedOutElsewhere(() => heard.push("b"));
    const stopC = c?.onSignedOutElsewhere(() => heard.push("c"));
    stopC?.();
    a?.announceSignedOut();
    expect(heard).toEqual(["b"]);
  });

  it("ignores other messages and works without BroadcastChannel", () => {
    const [a, b] = fakeChannels(2);
    const tabs = new SessionTabs(b);
    let heard = 0;
    tabs.onSignedOutElsewhere(() => (heard += 1));
    a?.postMessage({ type: "something-else" });
    a?.postMessage(null);
    expect(heard).toBe(0);
    const alone = new SessionTabs(null);
    alone.announceSignedOut();
    expect(alone.onSignedOutElsewhere(() => (heard += 1))).toBeTypeOf("function");
  });
});
