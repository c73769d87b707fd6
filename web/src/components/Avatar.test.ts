// Initials on a member's colour must stay readable (WCAG AA, 4.5:1 for small text) whatever
// colour the server picked: the palette is hintro_shared.people.PALETTE, read from the source.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { textOn } from "./Avatar";

function luminance(hex: string): number {
  const digits = hex.slice(1);
  const full = digits.length === 3 ? [...digits].map((d) => d + d).join("") : digits;
  const value = parseInt(full, 16);
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

const source = readFileSync(
  resolve(__dirname, "../../../shared/src/hintro_shared/people.py"),
  "utf8",
);
const palette = [...(/PALETTE[^(]*\(([^)]*)\)/s.exec(source)?.[1] ?? "").matchAll(/"(#[0-9A-Fa-f]{6})"/g)].map(
  (match) => match[1] as string,
);

describe("avatar text colour", () => {
  it("reads the server's palette", () => {
    expect(palette.length).toBeGreaterThanOrEqual(12);
  });

  it.each(palette)("keeps 4.5:1 on %s", (colour) => {
    expect(contrast(colour, textOn(colour))).toBeGreaterThanOrEqual(4.5);
  });
});
