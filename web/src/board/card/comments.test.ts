import { describe, expect, it } from "vitest";
import type { Comment, Member } from "../../api/types";
import { mergeNewest } from "./Comments";
import { matchingMembers, mentionQuery, mentionToken } from "./MentionInput";

const members: Member[] = [
  { userId: "u1", role: "owner", name: "Ada Lovelace", email: "ada@example.com" },
  { userId: "u2", role: "editor", name: "Bob Kahn", email: "bob@example.com" },
  { userId: "u3", role: "viewer", name: "", email: "zed@example.com" },
];

describe("mention picker", () => {
  it("finds the @ being typed before the caret, spaces allowed", () => {
    expect(mentionQuery("hi @Ada Lo", 10)).toEqual({ start: 3, end: 10, text: "Ada Lo" });
    expect(mentionQuery("@", 1)).toEqual({ start: 0, end: 1, text: "" });
    expect(mentionQuery("mail a@b", 8)).toBeNull(); // inside a word: an e-mail, not a mention
    expect(mentionQuery("hi @[Ada](u1) x", 15)).toBeNull(); // a token already written
    expect(mentionQuery("no at sign", 5)).toBeNull();
  });

  it("matches any word of the name or the start of the e-mail", () => {
    expect(matchingMembers(members, "lov").map((m) => m.userId)).toEqual(["u1"]);
    expect(matchingMembers(members, "ada lo").map((m) => m.userId)).toEqual(["u1"]);
    expect(matchingMembers(members, "zed").map((m) => m.userId)).toEqual(["u3"]);
    expect(matchingMembers(members, "").length).toBe(3);
  });

  it("writes a token the server resolves, whatever the name holds", () => {
    expect(mentionToken(members[0]!)).toBe("@[Ada Lovelace](u1)");
    expect(mentionToken(members[2]!)).toBe("@[zed@example.com](u3)");
    expect(mentionToken({ userId: "u4", role: "editor", name: "Odd] name\n" })).toBe("@[Odd name](u4)");
  });
});

describe("merging the newest page", () => {
  const c = (id: string, at: string): Comment => ({
    id, taskId: "t", boardId: "b", authorId: "u1", text: id, mentions: [], createdAt: at, updatedAt: at, version: 1,
  });

  it("puts new comments first, keeps older pages, drops what the newest page lost", () => {
    const shown = [c("c3", "2026-01-03"), c("c2", "2026-01-02"), c("c1", "2026-01-01")];
    // c4 is new, c3 was deleted; c2 is the page's oldest; c1 came from an older page.
    const merged = mergeNewest(shown, [c("c4", "2026-01-04"), c("c2", "2026-01-02")], false);
    expect(merged.map((x) => x.id)).toEqual(["c4", "c2", "c1"]);
    // A complete first page is everything there is.
    expect(mergeNewest(shown, [c("c2", "2026-01-02")], true).map((x) => x.id)).toEqual(["c2"]);
  });
});
