import { describe, expect, it } from "vitest";
import type { AppNotification } from "../api/types";
import { notificationBoard, notificationLink, notificationSentence } from "./sentence";

const base: AppNotification = {
  id: "n1",
  userId: "u2",
  kind: "task.assigned",
  boardId: "b1",
  taskId: "t1",
  actorId: "u1",
  createdAt: "2026-12-05T10:00:00.000Z",
  read: false,
  data: { actorName: "Ada", taskTitle: "Fix login", boardTitle: "Roadmap" },
};

describe("notification sentences", () => {
  it("names the actor, the card and the board", () => {
    expect(notificationSentence(base)).toBe("Ada assigned you to “Fix login” on “Roadmap”.");
    expect(notificationSentence({ ...base, kind: "task.moved", data: { ...base.data, toListTitle: "Done" } })).toBe(
      "Ada moved “Fix login” to “Done” on “Roadmap”.",
    );
  });

  it("falls back when a name is unknown", () => {
    expect(notificationSentence({ ...base, data: {} })).toBe("Someone assigned you to a card on a board.");
    expect(notificationSentence({ ...base, kind: "task.due_soon", actorId: null })).toBe(
      "“Fix login” on “Roadmap” is due within 24 hours.",
    );
  });

  it("says which webhook was disabled", () => {
    const disabled = { ...base, kind: "webhook.endpoint_disabled" as const, actorId: null, taskId: null, data: { url: "https://hooks.example/in", boardTitle: "Roadmap" } };
    expect(notificationSentence(disabled)).toBe("The webhook to “https://hooks.example/in” on “Roadmap” was disabled: it kept failing.");
    expect(notificationLink(disabled)).toBe("/boards/b1");
  });

  it("links to the card, the board or the boards page", () => {
    expect(notificationLink(base)).toBe("/boards/b1/cards/t1");
    expect(notificationLink({ ...base, kind: "board.member_added", taskId: null })).toBe("/boards/b1");
    expect(notificationLink({ ...base, kind: "board.member_removed", taskId: null })).toBe("/");
  });
});

describe("the board a notification names", () => {
  it("is quoted, with a fallback (the one-click leave's label)", () => {
    expect(notificationBoard({ ...base, kind: "board.member_added" })).toBe("“Roadmap”");
    expect(notificationBoard({ ...base, data: {} })).toBe("the board");
  });
});
