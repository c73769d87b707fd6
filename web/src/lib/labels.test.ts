// The web app's label palette is the server's (hintro_shared.labels.LABEL_COLORS, read from the
// source), and every colour keeps label text readable (WCAG AA, 4.5:1).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { COLOR_NAMES, LABEL_COLORS, makeLabel, resolveLabels } from "./labels";

function luminance(hex: string): number {
  const value = parseInt(hex.slice(1), 16);
  const channel = (shift: number) => {
    const c = ((value >> shift) & 255) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const source = readFileSync(resolve(__dirname, "../../../shared/src/hintro_shared/labels.py"), "utf8");
const server = Object.fromEntries(
  [...source.matchAll(/"(\w+)": \("(#[0-9A-F]{6})", "(#[0-9A-F]{6})"\)/g)].map((m) => [m[1], { background: m[2], text: m[3] }]),
);

describe("label palette", () => {
  it("is the server's", () => {
    expect(Object.keys(server)).toHaveLength(10);
    expect(LABEL_COLORS).toEqual(server);
  });

  it.each(COLOR_NAMES)("keeps 4.5:1 on %s", (name) => {
    const { background, text } = LABEL_COLORS[name];
    expect(contrast(background, text)).toBeGreaterThanOrEqual(4.5);
  });

  it("resolves ids against the board's current labels", () => {
    const labels = [makeLabel("a", "Bug", "red"), makeLabel("b", "Docs", "blue")];
    expect(resolveLabels(["b", "gone", "a"], labels).map((l) => l.name)).toEqual(["Docs", "Bug"]);
    const renamed = [{ ...labels[0]!, name: "Defect" }, labels[1]!];
    expect(resolveLabels(["a"], renamed)[0]?.name).toBe("Defect");
  });
});
