// The signed-in session: the access token lives only in this module's memory; the refresh token
// is the HttpOnly `hintro_refresh` cookie the page never sees. One refresh is in flight at a time
// in a tab, and across the tabs of the browser (tabs.ts): a refresh spends the cookie's token, so
// each tab refreshes with the cookie the previous rotation stored. Signing out signs out every tab.
import { ApiError, NETWORK } from "./errors";
import { refreshDelayMs } from "./refresh";
import { SessionTabs, withRefreshLock } from "./tabs";
import type { TokenAnswer } from "./types";

let accessToken: string | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
let inFlight: Promise<string | null> | null = null;
// Only for a gateway without cookie sessions: the refresh token kept in memory (lost on reload).
let bodyRefreshToken: string | null = null;
const listeners = new Set<(signedIn: boolean) => void>();
const tabs = new SessionTabs();
tabs.onSignedOutElsewhere(() => {
  if (accessToken !== null || bodyRefreshToken !== null) clearSession();
});

export function getAccessToken(): string | null {
  return accessToken;
}

export function onSessionChange(listener: (signedIn: boolean) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener(accessToken !== null);
}

export function acceptTokens(answer: TokenAnswer): void {
  accessToken = answer.accessToken;
  if (answer.refreshToken) bodyRefreshToken = answer.refreshToken;
  schedule(refreshDelayMs(answer.expiresIn));
  notify();
}

/** Refresh after `ms`; when the network fails then, try again a little later (the token may
 * still be valid meanwhile, and a 401 refreshes on demand anyway). */
function schedule(ms: number): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    refresh().catch(() => schedule(RETRY_MS));
  }, ms);
}

const RETRY_MS = 5000;

export function clearSession(): void {
  accessToken = null;
  bodyRefreshToken = null;
  if (timer) clearTimeout(timer);
  timer = null;
  notify();
}

async function post(path: string, body: unknown): Promise<Response> {
  try {
    return await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError(NETWORK, "network");
  }
}

/** A new access token from the refresh cookie; null (and signed out) when the session is over.
 * Network failures keep the session and throw. */
export function refresh(): Promise<string | null> {
  if (!inFlight) {
    inFlight = withRefreshLock(async () => {
      try {
        const response = await post("/api/auth/refresh", bodyRefreshToken ? { refreshToken: bodyRefreshToken } : {});
        if (response.ok) {
          acceptTokens((await response.json()) as TokenAnswer);
          return accessToken;
        }
        if (response.status === 401 || response.status === 422 || response.status === 400 || response.status === 403) {
          clearSession();
          return null;
        }
        throw new ApiError(response.status, "refresh failed");
      } finally {
        inFlight = null;
      }
    });
  }
  return inFlight;
}

export async function problem(response: Response): Promise<ApiError> {
  let detail = "";
  let errors: ApiError["errors"] = [];
  try {
    const body = (await response.json()) as { detail?: string; errors?: ApiError["errors"] };
    detail = body.detail ?? "";
    errors = body.errors ?? [];
  } catch {
    // A body that is not a problem document: the status alone decides the sentence.
  }
  const retry = Number(response.headers.get("Retry-After"));
  return new ApiError(response.status, detail, errors, Number.isFinite(retry) && retry > 0 ? retry : null);
}

/** Sign in (or up, then in) with the refresh token set as a cookie. A gateway that does not know
 * cookie sessions refuses the `session` field (422); then the body's refresh token is kept in
 * memory instead, so the app still works there, without surviving a reload. */
export async function signIn(email: string, password: string): Promise<void> {
  let response = await post("/api/auth/login", { email, password, session: "cookie" });
  if (response.status === 422) response = await post("/api/auth/login", { email, password });
  if (!response.ok) throw await problem(response);
  acceptTokens((await response.json()) as TokenAnswer);
}

export async function signUp(name: string, email: string, password: string): Promise<void> {
  let response = await post("/api/auth/register", { name, email, password, session: "cookie" });
  if (response.status === 422) {
    const retry = await problem(response);
    if (!retry.errors.some((e) => e.loc.includes("session"))) throw retry;
    response = await post("/api/auth/register", { name, email, password });
  }
  if (!response.ok) throw await problem(response);
  const answer = (await response.json()) as Partial<TokenAnswer>;
  if (answer.accessToken) acceptTokens(answer as TokenAnswer);
  else await signIn(email, password);
}

export async function signOut(): Promise<void> {
  try {
    await post("/api/auth/logout", bodyRefreshToken ? { refreshToken: bodyRefreshToken } : {});
  } catch {
    // Offline: the in-memory token goes anyway; the cookie expires on its own.
  }
  clearSession();
  tabs.announceSignedOut();
}
