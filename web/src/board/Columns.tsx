// The lists side by side with their cards, and drag and drop of both: mouse, touch and keyboard
// (dnd-kit's sensors), with sentences for screen readers while dragging.
import {
  closestCorners,
  DndContext,
  KeyboardSensor,
  MouseSensor,
  TouchSensor,
  useDroppable,
  useSensor,
  useSensors,
  type Announcements,
  type CollisionDetection,
  type DragEndEvent,
  type KeyboardCoordinateGetter,
} from "@dnd-kit/core";
import {
  arrayMove,
  horizontalListSortingStrategy,
  SortableContext,
  sortableKeyboardCoordinates,
  useSortable,
  verticalListSortingStrategy,
} from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { memo, useEffect, useMemo, useRef, useState, type FormEvent, type MouseEvent } from "react";
import { useNavigate } from "react-router-dom";
import type { Label, List, Member, Task } from "../api/types";
import { CardBadges } from "./CardBadges";
import { tasksByList, tasksOf, type BoardState } from "../lib/boardState";
import { placeAt } from "../lib/positions";
import { isTemp, type BoardOps } from "./ops";

const LIST = "list:";
const DROP = "drop:";
/** Cards a list outside the window renders at first: every list shows its first cards, and
 * the board's first paint stays small (every card is a dnd-kit sortable, the costliest thing on
 * the page). A list in the window renders the window's height of them. */
const FIRST = 6;
/** Cards "Show N more cards" adds; scrolled into view it adds what fills the list's window and
 * half this more. */
const STEP = 24;
/** A list's width and the gap after it (17.75rem), to tell the lists in the window. */
const COLUMN_WIDTH = 284;
/** The height a card not rendered yet stands for (a one-line card and the gap after it, px):
 * the list is as tall and scrolls as far as with every card in it, so nothing on the page
 * moves when cards are filled in. */
const CARD_HEIGHT = 44;

/** Cards a list renders on the board's first paint: for a list in the window, as many as fill
 * it (nothing is left to fill in there afterwards). */
function firstCards(index: number): number {
  if (index * COLUMN_WIDTH >= window.innerWidth) return FIRST;
  return Math.max(FIRST, Math.ceil(window.innerHeight / CARD_HEIGHT));
}

interface DragData {
  type: "list" | "card" | "container";
  listId: string;
}

// Cards do not glide to their new places after a drop or a push: a card in mid-glide has no
// stable rectangle, and the keyboard sensor would measure it there.
const still = () => false;

const dataOf = (value: unknown) => value as DragData | undefined;

// A dragged card meets cards and list bodies; a dragged list meets lists only.
const collision: CollisionDetection = (args) => {
  const type = dataOf(args.active.data.current)?.type;
  const droppableContainers = args.droppableContainers.filter((c) => {
    const t = dataOf(c.data.current)?.type;
    return type === "list" ? t === "list" : t === "card" || t === "container";
  });
  return closestCorners({ ...args, droppableContainers });
};

// The keyboard moves a list among lists only (its own cards would otherwise be the nearest
// targets to its right) and a card among cards and list bodies.
const keyboardCoordinates: KeyboardCoordinateGetter = (event, args) => {
  const { context } = args;
  const type = dataOf(context.active?.data.current)?.type;
  const all = context.droppableContainers;
  const enabled = all.getEnabled().filter((c) => {
    const t = dataOf(c.data.current)?.type;
    return type === "list" ? t === "list" : t === "card" || t === "container";
  });
  const droppableContainers = Object.assign(Object.create(Object.getPrototypeOf(all)) as typeof all, {
    getEnabled: () => enabled,
    get: (id: string | number) => all.get(id),
  });
  return sortableKeyboardCoordinates(event, { ...args, context: { ...context, droppableContainers } });
};

// Module constants: sensor options that change identity make dnd-kit set its sensors up again
// and render every card again.
const MOUSE = { activationConstraint: { distance: 4 } };
const TOUCH = { activationConstraint: { delay: 200, tolerance: 6 } };
const KEYBOARD = { coordinateGetter: keyboardCoordinates };

interface Props {
  state: BoardState;
  boardId: string;
  canEdit: boolean;
  ops: BoardOps;
  /** The board's query (its filter), kept on the cards' links. */
  linkSearch?: string;
}

const NONE: Task[] = [];

export const Columns = memo(function Columns({ state, boardId, canEdit, ops, linkSearch = "" }: Props) {
  const sensors = useSensors(useSensor(MouseSensor, MOUSE), useSensor(TouchSensor, TOUCH), useSensor(KeyboardSensor, KEYBOARD));
  const lists = state.board.lists;
  const grouped = useRef<Map<string, Task[]>>(undefined);
  const byList = useMemo(() => (grouped.current = tasksByList(state.tasks, grouped.current)), [state.tasks]);
  const listTitle = (id: string) => lists.find((l) => l.id === id)?.title ?? "a list";
  const name = (id: string | number) => {
    const key = String(id);
    if (key.startsWith(LIST)) return `list “${listTitle(key.slice(LIST.length))}”`;
    if (key.startsWith(DROP)) return `the end of list “${listTitle(key.slice(DROP.length))}”`;
    return `card “${state.tasks[key]?.title ?? ""}”`;
  };
  const where = (over: { id: string | number; data: { current?: unknown } } | null) => {
    if (!over) return "no place to drop";
    const data = dataOf(over.data.current);
    if (data?.type === "card") {
      const order = tasksOf(state, data.listId).map((t) => t.id);
      return `position ${order.indexOf(String(over.id)) + 1} of ${order.length} in list “${listTitle(data.listId)}”`;
    }
    return name(over.id);
  };
  const navigate = useNavigate();
  // The cards are plain links (a router Link per card costs its hooks on every render and
  // re-renders every card on each navigation); one handler opens them in the app.
  function openCard(event: MouseEvent<HTMLDivElement>) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element).closest<HTMLAnchorElement>("a.card-link");
    if (!link) return;
    event.preventDefault();
    if (link.getAttribute("aria-disabled") !== "true") navigate(link.pathname + link.search);
  }
  const announcements: Announcements = {
    onDragStart: ({ active }) => `Picked up ${name(active.id)}. Use the arrow keys to move it, space to drop it, escape to cancel.`,
    onDragOver: ({ active, over }) => (over?.id === active.id ? undefined : `${name(active.id)} is over ${where(over)}.`),
    onDragEnd: ({ active, over }) => (over ? `${name(active.id)} was dropped at ${where(over)}.` : `${name(active.id)} was put back.`),
    onDragCancel: ({ active }) => `Moving ${name(active.id)} was cancelled; it is back where it was.`,
  };

  function onDragEnd({ active, over }: DragEndEvent) {
    if (!over || active.id === over.id) return;
    const from = dataOf(active.data.current);
    const to = dataOf(over.data.current);
    if (!from || !to) return;
    if (from.type === "list") {
      const ids = lists.map((l) => l.id);
      const order = arrayMove(ids, ids.indexOf(from.listId), ids.indexOf(to.listId));
      ops.moveList(from.listId, order);
      return;
    }
    const taskId = String(active.id);
    const target = tasksOf(state, to.listId).map((t) => t.id);
    let order: string[];
    if (to.type === "container") order = placeAt(target, taskId, target.length);
    else if (from.listId === to.listId) order = arrayMove(target, target.indexOf(taskId), target.indexOf(String(over.id)));
    else order = placeAt(target, taskId, target.indexOf(String(over.id)));
    if (from.listId === to.listId && order.join() === target.join()) return;
    ops.moveCard(taskId, to.listId, order);
  }

  return (
    // Drop targets are measured when a drag starts and again whenever they change under it
    // (pushes from others, own optimistic moves): dnd-kit's default. Measuring them while
    // nobody drags would lay out every card on every change of the board.
    <DndContext
      sensors={sensors}
      collisionDetection={collision}
      onDragEnd={onDragEnd}
      accessibility={{
        announcements,
        screenReaderInstructions: {
          draggable: "To pick up, press space or enter. Use the arrow keys to move, space or enter to drop, escape to cancel.",
        },
      }}
    >
      <div className="columns" onClick={openCard}>
        <SortableContext items={lists.map((l) => LIST + l.id)} strategy={horizontalListSortingStrategy}>
          {lists.map((list, index) => (
            <Column key={list.id} list={list} index={index} tasks={byList.get(list.id) ?? NONE} members={state.board.members} labels={state.board.labels} boardId={boardId} canEdit={canEdit} ops={ops} linkSearch={linkSearch} />
          ))}
        </SortableContext>
        {canEdit && <AddList ops={ops} />}
      </div>
    </DndContext>
  );
});

function AddList({ ops }: { ops: BoardOps }) {
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const title = String(new FormData(form).get("title") ?? "").trim();
    if (!title) return;
    ops.addList(title);
    form.reset();
  }
  return (
    <form className="add-list" onSubmit={submit}>
      <label htmlFor="new-list">New list</label>
      <input id="new-list" name="title" placeholder="List name" maxLength={200} required />
      <button type="submit">Add list</button>
    </form>
  );
}

interface ColumnProps {
  list: List;
  /** Its place among the lists: those in the window at first fill its height at once. */
  index: number;
  tasks: Task[];
  members: Member[];
  labels: Label[];
  boardId: string;
  canEdit: boolean;
  ops: BoardOps;
  linkSearch: string;
}

const Column = memo(function Column({ list, index, tasks, members, labels, boardId, canEdit, ops, linkSearch }: ColumnProps) {
  // A list the server has not answered for yet has no id to put cards in or to move by.
  const saving = isTemp(list.id);
  const sortable = useSortable({ id: LIST + list.id, data: { type: "list", listId: list.id }, disabled: !canEdit || saving, animateLayoutChanges: still });
  const drop = useDroppable({ id: DROP + list.id, data: { type: "container", listId: list.id }, disabled: !canEdit });
  const [renaming, setRenaming] = useState(false);
  const [shown, setShown] = useState(() => firstCards(index));
  const headingId = `list-${list.id}`;
  const visible = tasks.slice(0, shown);

  function addCard(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const title = String(new FormData(form).get("title") ?? "").trim();
    if (!title) return;
    ops.addCard(list.id, title);
    form.reset();
  }

  return (
    <section
      ref={sortable.setNodeRef}
      className={sortable.isDragging ? "column dragging" : "column"}
      style={{ transform: CSS.Translate.toString(sortable.transform), transition: sortable.transition }}
      aria-labelledby={headingId}
      data-testid="board-list"
    >
      <div className="column-head">
        {canEdit && (
          <button type="button" className="drag-handle" {...sortable.attributes} {...sortable.listeners} aria-label={`Move list ${list.title}`}>
            ⠿
          </button>
        )}
        {renaming ? (
          <form
            className="grow"
            onSubmit={(e) => {
              e.preventDefault();
              ops.renameList(list, String(new FormData(e.currentTarget).get("title") ?? ""));
              setRenaming(false);
            }}
          >
            <label className="sr-only" htmlFor={`rename-${list.id}`}>
              New name of list {list.title}
            </label>
            <input id={`rename-${list.id}`} name="title" defaultValue={list.title} maxLength={200} autoFocus onBlur={() => setRenaming(false)} />
          </form>
        ) : (
          <h2 id={headingId} className="column-title grow">
            {list.title}
          </h2>
        )}
        <span className="count" aria-label={`${tasks.length} cards`}>
          {tasks.length}
        </span>
        {canEdit && !renaming && (
          <>
            <button type="button" className="icon-button" onClick={() => setRenaming(true)} aria-label={`Rename list ${list.title}`}>
              ✎
            </button>
            <button type="button" className="icon-button" onClick={() => ops.archiveList(list)} aria-label={`Archive list ${list.title}`} title="Archive list">
              ⤓
            </button>
          </>
        )}
      </div>
      <SortableContext items={visible.map((t) => t.id)} strategy={verticalListSortingStrategy}>
        <ol ref={drop.setNodeRef} className={drop.isOver ? "cards over" : "cards"} aria-label={`Cards in ${list.title}`}>
          {visible.map((task) => (
            <Card key={task.id} task={task} members={members} labels={labels} boardId={boardId} canEdit={canEdit} linkSearch={linkSearch} />
          ))}
          {tasks.length > shown && <MoreCards count={tasks.length - shown} onMore={(more) => setShown((n) => n + more)} />}
        </ol>
      </SortableContext>
      {canEdit && (
        <form className="add-card" onSubmit={addCard}>
          <label className="sr-only" htmlFor={`new-card-${list.id}`}>
            New card in {list.title}
          </label>
          <input id={`new-card-${list.id}`} name="title" placeholder="New card" maxLength={200} required disabled={saving} />
          <button type="submit" aria-label={`Add card to ${list.title}`} disabled={saving}>
            Add
          </button>
        </form>
      )}
    </section>
  );
});

/** "Show N more cards" and the space the cards not rendered yet stand for. Pressing it adds
 * STEP cards; scrolling it or any of that space into view adds as many as reach the bottom of
 * the list's window and half a STEP more (a list scrolled straight to its end fills at once). */
function MoreCards({ count, onMore }: { count: number; onMore(more: number): void }) {
  const button = useRef<HTMLButtonElement>(null);
  const rest = useRef<HTMLLIElement>(null);
  const more = useRef(onMore);
  more.current = onMore;
  useEffect(() => {
    const observer = new IntersectionObserver((seen) => {
      const node = button.current;
      if (!node || !seen.some((e) => e.isIntersecting)) return;
      const list = node.closest("ol");
      const reach = list ? list.getBoundingClientRect().bottom - node.getBoundingClientRect().top : 0;
      more.current(Math.ceil(Math.max(0, reach) / CARD_HEIGHT) + STEP / 2);
    });
    for (const node of [button.current, rest.current]) if (node) observer.observe(node);
    return () => observer.disconnect();
  }, [count]);
  return (
    <>
      <li>
        <button ref={button} type="button" className="link-button" onClick={() => onMore(STEP)}>
          Show {count} more cards
        </button>
      </li>
      {count > 1 && <li ref={rest} className="cards-rest" aria-hidden="true" style={{ height: (count - 1) * CARD_HEIGHT }} />}
    </>
  );
}

interface CardProps {
  task: Task;
  members: Member[];
  labels: Label[];
  boardId: string;
  canEdit: boolean;
  linkSearch: string;
}

// A card renders again whenever dnd-kit's state changes under a drag: only its sortable hooks
// run then; what it shows is CardBody, rendered again only when the task, its members or the
// board's labels change.
const Card = memo(function Card({ task, members, labels, boardId, canEdit, linkSearch }: CardProps) {
  const saving = isTemp(task.id);
  const sortable = useSortable({ id: task.id, data: { type: "card", listId: task.listId }, disabled: !canEdit || saving, animateLayoutChanges: still });
  return (
    <li
      ref={sortable.setNodeRef}
      className={sortable.isDragging ? "card dragging" : "card"}
      style={{ transform: CSS.Translate.toString(sortable.transform), transition: sortable.transition }}
      data-card-id={task.id}
    >
      {canEdit && (
        <button type="button" className="drag-handle" {...sortable.attributes} {...sortable.listeners} aria-label={`Move card ${task.title}`}>
          ⠿
        </button>
      )}
      <CardBody task={task} members={members} labels={labels} boardId={boardId} saving={saving} linkSearch={linkSearch} />
    </li>
  );
});

const CardBody = memo(function CardBody({ task, members, labels, boardId, saving, linkSearch }: Omit<CardProps, "canEdit"> & { saving: boolean }) {
  return (
    <a href={`/boards/${boardId}/cards/${task.id}${linkSearch}`} className="card-link" data-testid="card" aria-disabled={saving || undefined}>
      <span className="card-title">{task.title}</span>
      <CardBadges task={task} members={members} labels={labels} />
    </a>
  );
});
