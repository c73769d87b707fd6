// A card's checklists in its dialog: add, rename and delete checklists; add, tick, edit, assign,
// date, reorder or move to another checklist (drag by mouse, touch or keyboard) and delete items; a
// progress bar per checklist.
// Viewers see them read-only. The checklists are read when the dialog opens and again whenever
// the card's version moves past the copy shown (someone else changed them: the push says so).
import {
  closestCenter,
  DndContext,
  KeyboardSensor,
  MouseSensor,
  TouchSensor,
  useSensor,
  useSensors,
  useDroppable,
  type Announcements,
  type DragEndEvent,
} from "@dnd-kit/core";
import { SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import type { Checklist, ChecklistItem, Checklists as ChecklistsData, Member, Task } from "../../api/types";
import { displayName } from "../../components/Avatar";
import { Confirm } from "../../components/Modal";
import type { BoardOps } from "../ops";
import { CHECKLIST_TITLE_MAX, dateValue, dropTarget, ITEM_TEXT_MAX, percentDone, progressOf } from "./checklistLogic";
import type { LocalChecklists } from "./checklistOps";

interface Props {
  task: Task;
  members: Member[];
  meId: string;
  canEdit: boolean;
  ops: BoardOps;
}

const isTemp = (id: string) => id.startsWith("tmp-");

export function Checklists({ task, members, meId, canEdit, ops }: Props) {
  const [data, setData] = useState<ChecklistsData | null>(null);
  const [failed, setFailed] = useState(false);
  const dataRef = useRef<ChecklistsData | null>(null);
  dataRef.current = data;
  const taskId = task.id;
  const checklistOps = ops.checklists;

  const reload = useCallback(() => {
    checklistOps.load(taskId).then(
      (answer) => {
        setFailed(false);
        // An answer older than what is shown (a write answered meanwhile) is dropped.
        if (!dataRef.current || answer.version >= dataRef.current.version) {
          dataRef.current = answer;
          setData(answer);
        }
      },
      () => setFailed(true),
    );
  }, [checklistOps, taskId]);

  const local: LocalChecklists = useMemo(
    () => ({
      get: () => dataRef.current,
      set: (next) => {
        if (dataRef.current && next.version < dataRef.current.version) return;
        dataRef.current = next;
        setData(next);
      },
      reload,
    }),
    [reload],
  );

  // One drag context for all the card's checklists, so an item can be dropped in another one.
  // The announcements are spoken from inside the dialog: the card is a modal dialog, and what
  // is outside it is inert to assistive technology.
  const [region, setRegion] = useState<HTMLElement | null>(null);
  const sensors = useSensors(
    useSensor(MouseSensor, { activationConstraint: { distance: 4 } }),
    useSensor(TouchSensor, { activationConstraint: { delay: 200, tolerance: 6 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const lists = data?.checklists ?? [];
  const home = (id: string | number) => lists.find((c) => c.items.some((i) => i.id === id));
  const textOf = (id: string | number) => `item “${home(id)?.items.find((i) => i.id === id)?.text ?? ""}”`;
  const placeOf = (id: string | number, overId: string | number | undefined) => {
    const target = overId === undefined ? null : dropTarget(lists, String(id), String(overId));
    if (!target) return "its place";
    const list = lists.find((c) => c.id === target.checklistId);
    const place = `position ${target.order.indexOf(String(id)) + 1} of ${target.order.length}`;
    return list && list.id !== home(id)?.id ? `${place} in ${list.title}` : place;
  };
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${textOf(active.id)}. Use the arrow keys to move it, space to drop it, escape to cancel.`,
    onDragOver: ({ active, over }) => (over && over.id !== active.id ? `${textOf(active.id)} is at ${placeOf(active.id, over.id)}.` : undefined),
    onDragEnd: ({ active, over }) => (over ? `${textOf(active.id)} was dropped at ${placeOf(active.id, over.id)}.` : `${textOf(active.id)} was put back.`),
    onDragCancel: ({ active }) => `Moving ${textOf(active.id)} was cancelled.`,
  };

  function onDragEnd({ active, over }: DragEndEvent) {
    const current = dataRef.current;
    if (!over || !current || active.id === over.id) return;
    const itemId = String(active.id);
    const from = current.checklists.find((c) => c.items.some((i) => i.id === itemId));
    const target = dropTarget(current.checklists, itemId, String(over.id));
    if (!from || !target) return;
    if (target.checklistId === from.id) void checklistOps.moveItem(taskId, local, from.id, itemId, target.order);
    else void checklistOps.moveItemTo(taskId, local, from.id, target.checklistId, itemId, target.order);
  }

  // First read, and again when the card moved past the copy shown.
  const shownVersion = data?.version ?? -1;
  useEffect(() => {
    if (task.version > shownVersion) reload();
  }, [task.version, shownVersion, reload]);

  function addChecklist(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const title = String(new FormData(form).get("title") ?? "").trim();
    if (!title) return;
    void checklistOps.addChecklist(taskId, local, title);
    form.reset();
  }

  if (!data) {
    return (
      <section className="checklists" aria-label="Checklists">
        <p className="muted">{failed ? "The checklists could not be loaded." : "Loading checklists…"}</p>
      </section>
    );
  }
  const progress = progressOf(data.checklists);
  return (
    <section ref={setRegion} className="checklists" aria-label="Checklists" data-testid="checklists">
      {data.checklists.length > 0 && (
        <p className="muted" aria-live="polite">
          {progress.done} of {progress.total} checklist items done
        </p>
      )}
      <DndContext
        sensors={sensors}
        collisionDetection={closestCenter}
        onDragEnd={onDragEnd}
        accessibility={{
          container: region ?? undefined,
          announcements,
          screenReaderInstructions: {
            draggable: "To pick up an item, press space or enter. Use the arrow keys to move it, also into another checklist, space or enter to drop it, escape to cancel.",
          },
        }}
      >
        {data.checklists.map((checklist) => (
          <ChecklistView key={checklist.id} taskId={taskId} checklist={checklist} members={members} meId={meId} canEdit={canEdit} ops={ops} local={local} />
        ))}
      </DndContext>
      {canEdit && (
        <form className="add-checklist row" onSubmit={addChecklist}>
          <label className="sr-only" htmlFor={`new-checklist-${taskId}`}>
            New checklist title
          </label>
          <input id={`new-checklist-${taskId}`} name="title" placeholder="New checklist" maxLength={CHECKLIST_TITLE_MAX} required />
          <button type="submit">Add checklist</button>
        </form>
      )}
    </section>
  );
}

interface ChecklistProps {
  taskId: string;
  checklist: Checklist;
  members: Member[];
  meId: string;
  canEdit: boolean;
  ops: BoardOps;
  local: LocalChecklists;
}

function ChecklistView({ taskId, checklist, members, meId, canEdit, ops, local }: ChecklistProps) {
  const checklistOps = ops.checklists;
  const [renaming, setRenaming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const saving = isTemp(checklist.id);
  const percent = percentDone(checklist);
  const { done, total } = progressOf([checklist]);
  const headingId = `checklist-${checklist.id}`;
  const ids = checklist.items.map((i) => i.id);
  // An empty checklist takes drops itself (one with items takes them on its items: over an
  // item, the dropped one takes its place).
  const droppable = useDroppable({ id: `list:${checklist.id}`, disabled: !canEdit || saving || ids.length > 0 });

  function addItem(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const text = String(new FormData(form).get("text") ?? "").trim();
    if (!text) return;
    void checklistOps.addItem(taskId, local, checklist.id, text);
    form.reset();
  }

  return (
    <section className="checklist" aria-labelledby={headingId} data-testid="checklist">
      <div className="checklist-head">
        {renaming ? (
          <form
            className="grow"
            onSubmit={(e) => {
              e.preventDefault();
              const title = String(new FormData(e.currentTarget).get("title") ?? "").trim();
              if (title && title !== checklist.title) void checklistOps.renameChecklist(taskId, local, checklist.id, title);
              setRenaming(false);
            }}
          >
            <label className="sr-only" htmlFor={`rename-${checklist.id}`}>
              New title of checklist {checklist.title}
            </label>
            <input id={`rename-${checklist.id}`} name="title" defaultValue={checklist.title} maxLength={CHECKLIST_TITLE_MAX} autoFocus onBlur={() => setRenaming(false)} />
          </form>
        ) : (
          <h3 id={headingId} className="grow">
            {checklist.title}
          </h3>
        )}
        {canEdit && !renaming && !saving && (
          <>
            <button type="button" className="icon-button" onClick={() => setRenaming(true)} aria-label={`Rename checklist ${checklist.title}`}>
              ✎
            </button>
            <button type="button" className="icon-button" onClick={() => setDeleting(true)} aria-label={`Delete checklist ${checklist.title}`}>
              ×
            </button>
          </>
        )}
      </div>
      <div className="checklist-progress">
        <span className="checklist-percent">{percent}%</span>
        <div
          className="progress-track"
          role="progressbar"
          aria-label={`${checklist.title}: ${done} of ${total} done`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
        >
          <div className={percent === 100 ? "progress-fill complete" : "progress-fill"} style={{ width: `${percent}%` }} />
        </div>
      </div>
      <SortableContext items={ids} strategy={verticalListSortingStrategy}>
        <ul ref={droppable.setNodeRef} className={droppable.isOver ? "plain checklist-items drop-here" : "plain checklist-items"} aria-label={`Items of ${checklist.title}`}>
          {checklist.items.map((item) => (
            <ItemView key={item.id} taskId={taskId} checklistId={checklist.id} item={item} members={members} meId={meId} canEdit={canEdit} ops={ops} local={local} />
          ))}
        </ul>
      </SortableContext>
      {canEdit && !saving && (
        <form className="add-item row" onSubmit={addItem}>
          <label className="sr-only" htmlFor={`new-item-${checklist.id}`}>
            New item in {checklist.title}
          </label>
          <input id={`new-item-${checklist.id}`} name="text" placeholder="Add an item" maxLength={ITEM_TEXT_MAX} required />
          <button type="submit" aria-label={`Add item to ${checklist.title}`}>
            Add
          </button>
        </form>
      )}
      {deleting && (
        <Confirm
          title="Delete checklist?"
          message={`“${checklist.title}” and its ${total} item${total === 1 ? "" : "s"} will be deleted for everyone on the board.`}
          confirmLabel="Delete checklist"
          onConfirm={() => void checklistOps.deleteChecklist(taskId, local, checklist.id)}
          onClose={() => setDeleting(false)}
        />
      )}
    </section>
  );
}

interface ItemProps {
  taskId: string;
  checklistId: string;
  item: ChecklistItem;
  members: Member[];
  meId: string;
  canEdit: boolean;
  ops: BoardOps;
  local: LocalChecklists;
}

function ItemView({ taskId, checklistId, item, members, meId, canEdit, ops, local }: ItemProps) {
  const checklistOps = ops.checklists;
  const saving = isTemp(item.id);
  const writable = canEdit && !saving;
  const [editing, setEditing] = useState(false);
  const sortable = useSortable({ id: item.id, disabled: !writable });
  const change = (changes: Parameters<typeof checklistOps.changeItem>[4]) => void checklistOps.changeItem(taskId, local, checklistId, item.id, changes);
  const assignee = members.find((m) => m.userId === item.assigneeId);

  return (
    <li
      ref={sortable.setNodeRef}
      className={sortable.isDragging ? "checklist-item dragging" : "checklist-item"}
      style={{ transform: CSS.Translate.toString(sortable.transform), transition: sortable.transition }}
      data-testid="checklist-item"
      data-item-id={item.id}
    >
      {writable && (
        <button type="button" className="drag-handle" {...sortable.attributes} {...sortable.listeners} aria-label={`Move item ${item.text}`}>
          ⠿
        </button>
      )}
      <input
        type="checkbox"
        id={`item-${item.id}`}
        checked={item.done}
        disabled={!writable}
        onChange={() => change({ done: !item.done })}
      />
      {editing ? (
        <form
          className="grow"
          onSubmit={(e) => {
            e.preventDefault();
            const text = String(new FormData(e.currentTarget).get("text") ?? "").trim();
            if (text && text !== item.text) change({ text });
            setEditing(false);
          }}
        >
          <label className="sr-only" htmlFor={`edit-${item.id}`}>
            New text of item {item.text}
          </label>
          <input id={`edit-${item.id}`} name="text" defaultValue={item.text} maxLength={ITEM_TEXT_MAX} autoFocus onBlur={() => setEditing(false)} />
        </form>
      ) : (
        <label htmlFor={`item-${item.id}`} className={item.done ? "grow item-text done" : "grow item-text"}>
          {item.text}
        </label>
      )}
      {writable ? (
        <span className="item-tools">
          {!editing && (
            <button type="button" className="icon-button" onClick={() => setEditing(true)} aria-label={`Edit item ${item.text}`}>
              ✎
            </button>
          )}
          <select
            aria-label={`Assignee of ${item.text}`}
            value={item.assigneeId ?? ""}
            onChange={(e) => change({ assigneeId: e.target.value || null })}
          >
            <option value="">No one</option>
            {item.assigneeId && !assignee && <option value={item.assigneeId}>Former member</option>}
            {members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {displayName(m, meId)}
              </option>
            ))}
          </select>
          <input
            type="date"
            aria-label={`Due date of ${item.text}`}
            value={dateValue(item.dueDate)}
            onChange={(e) => change({ dueDate: e.target.value ? `${e.target.value}T00:00:00Z` : null })}
          />
          <button type="button" className="icon-button" onClick={() => void checklistOps.deleteItem(taskId, local, checklistId, item.id)} aria-label={`Delete item ${item.text}`}>
            ×
          </button>
        </span>
      ) : (
        <span className="item-tools muted">
          {item.assigneeId && <span>{displayName(assignee, meId)}</span>}
          {item.dueDate && <span>Due {dateValue(item.dueDate)}</span>}
        </span>
      )}
    </li>
  );
}
