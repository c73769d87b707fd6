import type { Member } from "../api/types";

export function displayName(member: Member | undefined, meId?: string): string {
  if (!member) return "Former member";
  // A member the board service has just heard of has empty profile fields for a moment.
  const name = member.name || member.email || "A member";
  return member.userId === meId ? `${name} (you)` : name;
}

export function initialsOf(member: Member | undefined): string {
  if (member?.initials) return member.initials;
  const name = member?.name || member?.email || "?";
  const words = name.split(/[\s@.]+/).filter(Boolean);
  return ((words[0]?.[0] ?? "?") + (words[1]?.[0] ?? "")).toUpperCase();
}

/** Black or white text, whichever reads better on `hex` (WCAG relative luminance). */
export function textOn(hex: string): string {
  const match = /^#?([0-9a-f]{6})$/i.exec(hex);
  if (!match?.[1]) return "#fff";
  const value = parseInt(match[1], 16);
  const channel = (shift: number) => {
    const c = ((value >> shift) & 255) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0);
  // Pure black, not a softer dark grey: against mid colours such as #00897B only black keeps
  // the 4.5:1 that small text needs.
  return (1.05 / (luminance + 0.05)) >= ((luminance + 0.05) / 0.05) ? "#fff" : "#000";
}

export function Avatar({ member, small }: { member: Member | undefined; small?: boolean }) {
  const background = member?.color ?? "#4b5563";
  return (
    <span
      className={small ? "avatar avatar-small" : "avatar"}
      style={{ background, color: textOn(background) }}
      title={displayName(member)}
      aria-hidden="true"
    >
      {initialsOf(member)}
    </span>
  );
}
