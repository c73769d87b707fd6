// Who is on the board: invite by e-mail, change roles, remove, leave, transfer ownership.
import { useState, type FormEvent } from "react";
import { api, paths } from "../api/boards";
import { sentence } from "../api/errors";
import type { BoardWithLists, Member, Role } from "../api/types";
import { Avatar, displayName } from "../components/Avatar";
import { Confirm } from "../components/Modal";
import type { BoardHandle } from "./useBoard";

interface Props {
  board: BoardWithLists;
  meId: string;
  handle: BoardHandle;
  onError(text: string): void;
  onInfo(text: string): void;
  onLeft(message: string): void;
}

type Pending = { kind: "remove" | "transfer"; member: Member } | { kind: "leave" } | null;

export function MembersPanel({ board, meId, handle, onError, onInfo, onLeft }: Props) {
  const [pending, setPending] = useState<Pending>(null);
  const myRole = board.members.find((m) => m.userId === meId)?.role;
  const owner = myRole === "owner";
  const setMembers = (members: Member[]) => handle.dispatch({ type: "members", members });

  async function invite(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const email = String(data.get("email") ?? "").trim();
    const role = String(data.get("role") ?? "editor") as Role;
    try {
      await api("POST", paths.members(board.id), { body: { email, role } });
      form.reset();
      onInfo(`${email} can now ${role === "viewer" ? "view" : "edit"} this board.`);
      const fresh = await api<BoardWithLists>("GET", paths.board(board.id));
      setMembers(fresh.members);
    } catch (error) {
      onError(sentence(error, "invite"));
    }
  }

  function changeRole(member: Member, role: Role) {
    const before = board.members;
    void handle.write(
      "member",
      () => api("PATCH", paths.member(board.id, member.userId), { body: { role } }),
      () => setMembers(before.map((m) => (m.userId === member.userId ? { ...m, role } : m))),
      () => setMembers(before),
    );
  }

  function remove(member: Member) {
    const before = board.members;
    void handle.write(
      "member",
      () => api("DELETE", paths.member(board.id, member.userId)),
      () => setMembers(before.filter((m) => m.userId !== member.userId)),
      () => setMembers(before),
    );
  }

  async function leave() {
    try {
      await api("DELETE", paths.member(board.id, meId));
      onLeft(`You left “${board.title}”.`);
    } catch (error) {
      onError(sentence(error, "leave"));
    }
  }

  async function transfer(member: Member) {
    try {
      const fresh = await api<BoardWithLists>("POST", paths.transfer(board.id), { body: { userId: member.userId } });
      handle.dispatch({ type: "board", board: { ownerId: fresh.ownerId } });
      setMembers(fresh.members);
      onInfo(`${displayName(member)} now owns this board; you are an editor.`);
    } catch (error) {
      onError(sentence(error, "transfer"));
    }
  }

  return (
    <aside className="side-panel" aria-labelledby="members-heading" data-testid="members-panel">
      <h2 id="members-heading">Members</h2>
      <ul className="plain members">
        {board.members.map((member) => {
          const label = displayName(member, meId);
          return (
            <li key={member.userId} className="member" data-testid="member">
              <Avatar member={member} />
              <span className="grow">
                <span className="member-name">{label}</span>
                {member.email && <span className="muted small block">{member.email}</span>}
              </span>
              {owner && member.role !== "owner" ? (
                <>
                  <label className="sr-only" htmlFor={`role-${member.userId}`}>
                    Role of {label}
                  </label>
                  <select id={`role-${member.userId}`} value={member.role} onChange={(e) => changeRole(member, e.currentTarget.value as Role)}>
                    <option value="editor">Editor</option>
                    <option value="viewer">Viewer</option>
                  </select>
                  <button type="button" onClick={() => setPending({ kind: "transfer", member })} aria-label={`Make owner: ${label}`}>
                    Make owner
                  </button>
                  <button type="button" className="danger" onClick={() => setPending({ kind: "remove", member })} aria-label={`Remove ${label}`}>
                    Remove
                  </button>
                </>
              ) : (
                <span className="role">{member.role === "owner" ? "Owner" : member.role === "editor" ? "Editor" : "Viewer"}</span>
              )}
            </li>
          );
        })}
      </ul>
      {owner && (
        <form className="stack invite" onSubmit={invite}>
          <h3>Invite someone</h3>
          <label>
            E-mail
            <input name="email" type="email" required maxLength={320} />
          </label>
          <label>
            Role
            <select name="role" defaultValue="editor">
              <option value="editor">Editor (can change the board)</option>
              <option value="viewer">Viewer (read only)</option>
            </select>
          </label>
          <button type="submit" className="primary">
            Invite
          </button>
        </form>
      )}
      {myRole && myRole !== "owner" && (
        <button type="button" className="danger" onClick={() => setPending({ kind: "leave" })}>
          Leave board
        </button>
      )}
      {pending?.kind === "remove" && (
        <Confirm
          title="Remove member?"
          message={`${displayName(pending.member)} will no longer see “${board.title}”.`}
          confirmLabel="Remove"
          onConfirm={() => remove(pending.member)}
          onClose={() => setPending(null)}
        />
      )}
      {pending?.kind === "transfer" && (
        <Confirm
          title="Transfer ownership?"
          message={`${displayName(pending.member)} becomes the owner of “${board.title}”; you stay on the board as an editor.`}
          confirmLabel="Transfer ownership"
          onConfirm={() => void transfer(pending.member)}
          onClose={() => setPending(null)}
        />
      )}
      {pending?.kind === "leave" && (
        <Confirm
          title="Leave board?"
          message={`You will no longer see “${board.title}” unless the owner invites you again.`}
          confirmLabel="Leave board"
          onConfirm={() => void leave()}
          onClose={() => setPending(null)}
        />
      )}
    </aside>
  );
}
