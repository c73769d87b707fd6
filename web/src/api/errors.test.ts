import { describe, expect, it } from "vitest";
import { ApiError, NETWORK, sentence } from "./errors";

describe("sentence", () => {
  it.each([
    [403, "card", "role"],
    [404, "card", "no longer exists"],
    [404, "invite", "no one with that e-mail"],
    [409, "signup", "already exists"],
    [409, "leave", "Transfer ownership"],
    [409, "card", "same moment"],
    [412, "card", "Someone else changed this card"],
    [401, "signin", "do not match"],
    [503, "card", "trouble"],
  ] as const)("%i on %s says %s", (status, action, words) => {
    expect(sentence(new ApiError(status, "detail"), action).toLowerCase()).toContain(words.toLowerCase());
  });

  it("says how long to wait after 429", () => {
    expect(sentence(new ApiError(429, "", [], 7), "card")).toContain("wait 7 seconds");
    expect(sentence(new ApiError(429, "", [], 1), "card")).toContain("wait 1 second ");
  });

  it("explains a stale drop place and bad fields without status codes", () => {
    const anchor = new ApiError(422, "", [{ loc: ["body", "afterId"], msg: "not in list", type: "invalid_anchor" }]);
    expect(sentence(anchor, "move")).toContain("place you chose changed");
    const field = sentence(new ApiError(422, "", [{ loc: ["title"], msg: "String should have at least 1 character" }]), "card");
    expect(field).toBe("Please check the title: string should have at least 1 character.");
  });

  it("never shows a number that looks like a status", () => {
    for (const status of [NETWORK, 400, 401, 403, 404, 409, 412, 413, 422, 429, 500, 502, 503, 504]) {
      expect(sentence(new ApiError(status, ""), "card")).not.toMatch(/\b[45]\d\d\b/);
    }
  });

  it("has a sentence for errors that are not the API's", () => {
    expect(sentence(new TypeError("x"), "card")).toContain("Reload");
  });
});
