// Board labels on the client: the palette (the same as hintro_shared.labels.LABEL_COLORS, which
// a test checks), and resolving a task's label ids against the board's labels, so a rename or a
// new colour shows on every card the moment the board's label changes.
import type { Label } from "../api/types";

export const LABEL_COLORS = {
  green: { background: "#4BCE97", text: "#000000" },
  yellow: { background: "#F5CD47", text: "#000000" },
  orange: { background: "#FEA362", text: "#000000" },
  red: { background: "#F87168", text: "#000000" },
  purple: { background: "#9F8FEF", text: "#000000" },
  blue: { background: "#579DFF", text: "#000000" },
  sky: { background: "#6CC3E0", text: "#000000" },
  lime: { background: "#94C748", text: "#000000" },
  pink: { background: "#E774BB", text: "#000000" },
  black: { background: "#44546F", text: "#FFFFFF" },
} as const;

export type LabelColor = keyof typeof LABEL_COLORS;
export const COLOR_NAMES = Object.keys(LABEL_COLORS) as LabelColor[];

export function isLabelColor(value: unknown): value is LabelColor {
  return typeof value === "string" && value in LABEL_COLORS;
}

/** A label as the board holds it, from its id, name and palette name (pushes carry no hex). */
export function makeLabel(id: string, name: string, color: LabelColor): Label {
  return { id, name, color, ...LABEL_COLORS[color] };
}

/** The labels of `ids` that the board has, in the task's order (ids of a label deleted a moment
 * ago, whose task update has not arrived yet, are skipped). */
export function resolveLabels(ids: readonly string[], labels: readonly Label[]): Label[] {
  const byId = new Map(labels.map((label) => [label.id, label]));
  return ids.flatMap((id) => {
    const label = byId.get(id);
    return label ? [label] : [];
  });
}
