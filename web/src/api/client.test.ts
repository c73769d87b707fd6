// The request path with a stand-in fetch: a 401 refreshes once and retries once; writes carry
// the socket id; problems become ApiError with Retry-After.
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, setSocketId } from "./client";
import { ApiError } from "./errors";
import { acceptTokens, clearSession } from "./session";

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  clearSession();
  setSocketId(null);
});

describe("api", () => {
  it("refreshes once on 401 and retries with the new token", async () => {
    acceptTokens({ accessToken: "old", expiresIn: 900 });
    const calls: { url: string; auth: string | undefined }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      const auth = (init.headers as Record<string, string> | undefined)?.Authorization;
      calls.push({ url, auth });
      if (url === "/api/auth/refresh") return answer(200, { accessToken: "new", expiresIn: 900 });
      return auth === "Bearer new" ? answer(200, { ok: true }) : answer(401, { detail: "expired" });
    });
    await expect(api("GET", "/api/boards")).resolves.toEqual({ ok: true });
    expect(calls.map((c) => c.url)).toEqual(["/api/boards", "/api/auth/refresh", "/api/boards"]);
    expect(calls[2]?.auth).toBe("Bearer new");
  });

  it("gives up after one retry when the session is over", async () => {
    acceptTokens({ accessToken: "old", expiresIn: 900 });
    const fetch = vi.fn(async (url: string) => (url === "/api/auth/refresh" ? answer(401, {}) : answer(401, {})));
    vi.stubGlobal("fetch", fetch);
    await expect(api("GET", "/api/boards")).rejects.toMatchObject({ status: 401 });
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("sends X-Socket-Id and If-Match on writes and reads Retry-After", async () => {
    acceptTokens({ accessToken: "t", expiresIn: 900 });
    setSocketId("sock1");
    let headers: Record<string, string> = {};
    vi.stubGlobal("fetch", async (_url: string, init: RequestInit) => {
      headers = init.headers as Record<string, string>;
      return answer(429, { detail: "slow down" }, { "Retry-After": "3" });
    });
    const error = await api("PATCH", "/api/tasks/x", { body: { title: "a" }, ifMatch: 4 }).catch((e: unknown) => e);
    expect(headers["X-Socket-Id"]).toBe("sock1");
    expect(headers["If-Match"]).toBe('"4"');
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).retryAfter).toBe(3);
  });
});
