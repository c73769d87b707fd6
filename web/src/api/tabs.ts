// Tabs of one browser share one session: the `hintro_refresh` cookie. Two things keep them in step.
// - Refreshes run one at a time across tabs (Web Locks): each rotation finishes, and the browser
//   stores its new cookie, before the next tab refreshes with it. The server's reuse grace window
//   (a spent token presented again within seconds answers the same successor) covers browsers
//   without Web Locks and a request retried after a lost answer.
// - Signing out in one tab signs out the others at once (BroadcastChannel), instead of each
//   finding out at its next refresh.

export const REFRESH_LOCK = "hintro-refresh";
export const SESSION_CHANNEL = "hintro-session";

/** The part of the Web Locks API used here (navigator.locks). */
export interface Locks {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** The part of BroadcastChannel used here. */
export interface Channel {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}

function browserLocks(): Locks | null {
  const locks = typeof navigator === "undefined" ? undefined : (navigator as { locks?: LockManager }).locks;
  if (!locks) return null;
  return { request: <T>(name: string, callback: () => Promise<T>) => locks.request(name, callback) as Promise<T> };
}

function browserChannel(): Channel | null {
  // Browsers only: Node's BroadcastChannel (unit tests) would keep the process alive.
  if (typeof window === "undefined" || typeof BroadcastChannel === "undefined") return null;
  return new BroadcastChannel(SESSION_CHANNEL);
}

/** Run `work` while no other tab of this origin is refreshing (directly without Web Locks). */
export function withRefreshLock<T>(work: () => Promise<T>, locks: Locks | null = browserLocks()): Promise<T> {
  return locks ? locks.request(REFRESH_LOCK, work) : work();
}

const SIGNED_OUT = "signed-out";

/** Tell the other tabs this session ended, and hear when another tab ends it. */
export class SessionTabs {
  private readonly channel: Channel | null;

  constructor(channel: Channel | null = browserChannel()) {
    this.channel = channel;
  }

  announceSignedOut(): void {
    this.channel?.postMessage({ type: SIGNED_OUT });
  }

  onSignedOutElsewhere(listener: () => void): () => void {
    const channel = this.channel;
    if (!channel) return () => undefined;
    const handle = (event: MessageEvent) => {
      if ((event.data as { type?: unknown } | null)?.type === SIGNED_OUT) listener();
    };
    channel.addEventListener("message", handle);
    return () => channel.removeEventListener("message", handle);
  }
}
