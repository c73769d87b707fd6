import { describe, expect, it } from "vitest";
import { refreshDelayMs } from "./refresh";

describe("refreshDelayMs", () => {
  it("refreshes a minute early for the default lifetime", () => {
    expect(refreshDelayMs(900)).toBe(840_000);
  });
  it("refreshes at 80% of short lifetimes", () => {
    expect(refreshDelayMs(30)).toBe(24_000);
    expect(refreshDelayMs(60)).toBe(48_000);
  });
  it("never schedules a tight loop", () => {
    expect(refreshDelayMs(0)).toBe(1000);
    expect(refreshDelayMs(-5)).toBe(1000);
  });
  it("always refreshes before expiry", () => {
    for (const ttl of [2, 30, 61, 300, 900, 86400]) expect(refreshDelayMs(ttl)).toBeLessThan(ttl * 1000);
  });
});
