// A board label as a coloured chip: the palette colour with the text colour that stays readable
// on it. The name is the text, so the label never depends on colour alone.
import type { Label } from "../api/types";
import { LABEL_COLORS, isLabelColor } from "../lib/labels";

export function LabelChip({ label }: { label: Label }) {
  const colours = isLabelColor(label.color) ? LABEL_COLORS[label.color] : { background: label.background, text: label.text };
  return (
    <span className="label" data-testid="label-chip" data-color={label.color} style={{ background: colours.background, color: colours.text }}>
      {label.name}
    </span>
  );
}
