// Every API call of the app: JSON in and out, the bearer token, the socket id that keeps our own
// changes from being pushed back to us, one refresh-and-retry on 401, problems as ApiError.
import { ApiError, NETWORK } from "./errors";
import { getAccessToken, problem, refresh } from "./session";

let socketId: string | null = null;

/** The connected Socket.IO id, sent as X-Socket-Id on writes (echo suppression). */
export function setSocketId(id: string | null): void {
  socketId = id;
}

export interface RequestOptions {
  body?: unknown;
  /** A body sent as is (a file), as JSON; instead of `body`. */
  raw?: Blob;
  ifMatch?: number;
  signal?: AbortSignal;
  /** Send no X-Socket-Id, so the push of this write reaches our own socket too (for writes
   * whose push carries what the answer does not, such as a task's new comment count). */
  echo?: boolean;
}

async function send(method: string, path: string, options: RequestOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined || options.raw !== undefined) headers["Content-Type"] = "application/json";
  if (options.ifMatch !== undefined) headers["If-Match"] = `"${options.ifMatch}"`;
  if (method !== "GET" && socketId && !options.echo) headers["X-Socket-Id"] = socketId;
  try {
    return await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError(NETWORK, "network");
  }
}

export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  let response = await send(method, path, options, getAccessToken());
  if (response.status === 401) {
    // The token expired (or the tab slept through its refresh): refresh once and retry once.
    const token = await refresh();
    if (token) response = await send(method, path, options, token);
  }
  if (!response.ok) throw await problem(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const get = <T>(path: string, signal?: AbortSignal) => api<T>("GET", path, { signal });
