import { describe, expect, it } from "vitest";
import { anchorsFor, between, compare, placeAt } from "./positions";

describe("between", () => {
  const cases: [string | null, string | null][] = [
    [null, null], ["a", null], [null, "b"], ["a", "b"], ["a", "a0"], ["a0", "a1"], ["m", "mV"], ["a", "ab"], ["V", "W"], [null, "a"],
  ];
  it.each(cases)("sorts strictly between %s and %s", (a, b) => {
    const mid = between(a, b);
    if (a !== null) expect(compare(a, mid)).toBe(-1);
    if (b !== null) expect(compare(mid, b)).toBe(-1);
  });

  it("keeps working when inserting many times at the same place", () => {
    let low = "a";
    const high = "b";
    for (let i = 0; i < 50; i++) {
      const mid = between(low, high);
      expect(low < mid && mid < high).toBe(true);
      low = mid;
    }
  });
});

describe("anchorsFor", () => {
  it("names the previous item", () => {
    expect(anchorsFor(["a", "b", "c"], "c")).toEqual({ afterId: "b" });
    expect(anchorsFor(["a", "x", "b"], "x")).toEqual({ afterId: "a" });
  });
  it("names the next item when moved first", () => {
    expect(anchorsFor(["x", "a"], "x")).toEqual({ beforeId: "a" });
  });
  it("names nothing in an empty list or for an absent id", () => {
    expect(anchorsFor(["x"], "x")).toEqual({});
    expect(anchorsFor(["a"], "x")).toEqual({});
  });
});

describe("placeAt", () => {
  it("moves within and into a list", () => {
    expect(placeAt(["a", "b", "c"], "a", 2)).toEqual(["b", "c", "a"]);
    expect(placeAt(["a", "b"], "x", 1)).toEqual(["a", "x", "b"]);
    expect(placeAt(["a", "b"], "x", 9)).toEqual(["a", "b", "x"]);
  });
});
