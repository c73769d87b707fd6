"""A Trello board export (the JSON of Trello's "Export as JSON") read and turned into the ordered
steps of an import. Pure logic: no I/O.

What is read: the board (``name``, ``desc``, ``closed``), ``labels`` (``id``, ``name``,
``color``), ``lists`` (``id``, ``name``, ``closed``, ``pos``), ``cards`` (``id``, ``name``,
``desc``, ``idList``, ``idLabels``, ``idMembers``, ``start``, ``due``, ``dueComplete``,
``closed``, ``pos``), ``checklists`` (``id``, ``idCard``, ``name``, ``pos``, ``checkItems``
with ``id``, ``name``, ``state``, ``pos``, ``due``, ``idMember``), the ``commentCard``
``actions`` (``date``, ``memberCreator.fullName``, ``data.text``, ``data.card.id``) and
``members`` (``id``, ``fullName``, ``username``, ``email`` when the export has one). Everything
else in the file is ignored.

The steps run in an order that keeps Trello's: lists, then cards list by list, each in
ascending ``pos`` (ties in file order), each appended at the end of its list, so the
fractional positions the services give them sort the way Trello's ``pos`` did; checklists and
their items the same way; comments oldest first. Archiving comes last, because the services
refuse to add to an archived card or list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hintro_importer.domain import NotATrelloExport, Step, hintro_id, is_safe_id
from hintro_shared.labels import LABEL_COLORS, LABEL_NAME_MAX, LABELS_PER_BOARD_MAX

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
LABELS_PER_TASK_MAX = 20
CHECKLISTS_MAX = 20
CHECKLIST_ITEMS_MAX = 100
ITEM_TEXT_MAX = 1_000
COMMENT_MAX = 5_000
AUTHOR_NAME_MAX = 200
MEMBER_LOOKUPS_MAX = 100
"""E-mail addresses one import looks up at most (a file cannot be used to probe for accounts
beyond this; the rest are reported unmatched)."""
_NO_COLOUR = "black"  # Trello's colourless label shows grey: the palette's grey is "black".


@dataclass
class Plan:
    """The steps of an import, and what the file itself already tells the job."""

    board_title: str
    steps: list[Step]
    unmatched: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_json(raw: bytes) -> dict[str, Any]:
    """The upload as a JSON object; :class:`NotATrelloExport` when it is not one."""
    try:
        body = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise NotATrelloExport("The file is not valid JSON.") from None
    if not isinstance(body, dict):
        raise NotATrelloExport("The file is not a Trello board export: it is not a JSON object.")
    for key, kind in (("id", str), ("name", str), ("lists", list), ("cards", list)):
        if not isinstance(body.get(key), kind):
            raise NotATrelloExport(
                f"The file is not a Trello board export: it has no board {key!r}."
            )
    return body


def _objects(body: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = body.get(key)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict) and isinstance(item.get("id"), str)]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _cut(value: str, limit: int, what: str, warnings: list[str]) -> str:
    if len(value) <= limit:
        return value
    warnings.append(f"{what} was cut to {limit} characters.")
    return value[:limit]


def _title(value: Any, limit: int, what: str, warnings: list[str], empty: str) -> str:
    text = " ".join(_text(value).split()) or empty
    return _cut(text, limit, what, warnings)


def _ordered(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """In ascending ``pos`` (a number; Trello's "top"/"bottom" or none go last), ties in file
    order."""
    indexed = list(enumerate(items))

    def key(entry: tuple[int, dict[str, Any]]) -> tuple[int, float, int]:
        index, item = entry
        pos = item.get("pos")
        if isinstance(pos, bool) or not isinstance(pos, int | float):
            return (1, 0.0, index)
        return (0, float(pos), index)

    return [item for _, item in sorted(indexed, key=key)]


def _date(value: Any) -> str | None:
    """An RFC 3339 date-time as given, or ``None`` when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value


def _before(start: str, due: str) -> bool:
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    try:
        return parse(start) <= parse(due)
    except TypeError:  # one with an offset, one without
        return True


def label_colour(color: Any) -> str:
    """The palette colour nearest a Trello label colour (``green``, ``green_dark``,
    ``green_light``, ... or none)."""
    base = _text(color).split("_")[0]
    return base if base in LABEL_COLORS else _NO_COLOUR


def build_plan(body: Mapping[str, Any], job_id: str) -> Plan:
    """The steps that import ``body`` (as :func:`parse_json` accepted it) for job ``job_id``."""
    warnings: list[str] = []

    def hid(kind: str, trello_id: str) -> str:
        return hintro_id(job_id, kind, trello_id)

    def title(value: Any, limit: int, what: str, empty: str) -> str:
        return _title(value, limit, what, warnings, empty)

    def cut(value: Any, limit: int, what: str) -> str:
        return _cut(_text(value), limit, what, warnings)

    board_id = hid("board", str(body["id"]))
    board_title = title(body.get("name"), TITLE_MAX, "The board's name", "Trello board")
    steps: list[Step] = [
        {
            "k": "board",
            "id": board_id,
            "title": board_title,
            "description": cut(body.get("desc"), DESCRIPTION_MAX, "The board's description"),
        }
    ]

    labels: set[str] = set()
    for label in _objects(body, "labels"):
        if len(labels) >= LABELS_PER_BOARD_MAX:
            warnings.append(f"Only the first {LABELS_PER_BOARD_MAX} labels were imported.")
            break
        colour = label_colour(label.get("color"))
        name = title(label.get("name"), LABEL_NAME_MAX, "A label's name", colour.title())
        labels.add(label["id"])
        steps.append({"k": "label", "id": hid("label", label["id"]), "name": name, "color": colour})

    lists = _ordered(_objects(body, "lists"))
    list_ids = {item["id"] for item in lists}
    for item in lists:
        list_title = title(item.get("name"), TITLE_MAX, "A list's name", "Untitled list")
        steps.append({"k": "list", "id": hid("list", item["id"]), "title": list_title})

    unmatched: list[str] = []
    looked_up = 0
    for member in _objects(body, "members"):
        name = _text(member.get("fullName")) or _text(member.get("username")) or member["id"]
        email = _text(member.get("email")).strip()
        if not email or not is_safe_id(member["id"]) or looked_up >= MEMBER_LOOKUPS_MAX:
            unmatched.append(name)
            continue
        looked_up += 1
        steps.append({"k": "member", "t": member["id"], "name": name, "email": email})

    list_order = {item["id"]: index for index, item in enumerate(lists)}
    cards = [card for card in _objects(body, "cards") if card.get("idList") in list_ids]
    if len(cards) < len(_objects(body, "cards")):
        warnings.append("Cards of lists the export does not contain were left out.")
    cards = sorted(_ordered(cards), key=lambda card: list_order[card["idList"]])
    card_ids = {card["id"] for card in cards}
    for card in cards:
        task_id = hid("task", card["id"])
        start, due = _date(card.get("start")), _date(card.get("due"))
        if start is not None and due is not None and not _before(start, due):
            warnings.append(
                f"The start date of the card {card['id']} was after its due date and was left out."
            )
            start = None
        label_ids = [hid("label", lid) for lid in card.get("idLabels") or [] if lid in labels]
        if len(label_ids) > LABELS_PER_TASK_MAX:
            warnings.append(f"A card kept only its first {LABELS_PER_TASK_MAX} labels.")
        members = [m for m in card.get("idMembers") or [] if isinstance(m, str)]
        steps.append(
            {
                "k": "task",
                "id": task_id,
                "listId": hid("list", card["idList"]),
                "title": title(card.get("name"), TITLE_MAX, "A card's name", "Untitled card"),
                "description": cut(card.get("desc"), DESCRIPTION_MAX, "A card's description"),
                "labelIds": list(dict.fromkeys(label_ids))[:LABELS_PER_TASK_MAX],
                "members": list(dict.fromkeys(members)),
                "startDate": start,
                "dueDate": due,
                "dueComplete": card.get("dueComplete") is True,
            }
        )

    by_card: dict[str, list[dict[str, Any]]] = {}
    for checklist in _ordered(_objects(body, "checklists")):
        if checklist.get("idCard") in card_ids:
            by_card.setdefault(checklist["idCard"], []).append(checklist)
    for card in cards:
        checklists = by_card.get(card["id"], [])
        if len(checklists) > CHECKLISTS_MAX:
            warnings.append(f"A card kept only its first {CHECKLISTS_MAX} checklists.")
        task_id = hid("task", card["id"])
        for checklist in checklists[:CHECKLISTS_MAX]:
            checklist_id = hid("checklist", checklist["id"])
            steps.append(
                {
                    "k": "checklist",
                    "id": checklist_id,
                    "taskId": task_id,
                    "title": title(
                        checklist.get("name"), TITLE_MAX, "A checklist's name", "Checklist"
                    ),
                }
            )
            items = _ordered(_objects(checklist, "checkItems"))
            if len(items) > CHECKLIST_ITEMS_MAX:
                warnings.append(f"A checklist kept only its first {CHECKLIST_ITEMS_MAX} items.")
            for entry in items[:CHECKLIST_ITEMS_MAX]:
                assignee = entry.get("idMember")
                steps.append(
                    {
                        "k": "item",
                        "id": hid("item", entry["id"]),
                        "taskId": task_id,
                        "checklistId": checklist_id,
                        "text": title(entry.get("name"), ITEM_TEXT_MAX, "A checklist item", "Item"),
                        "done": entry.get("state") == "complete",
                        "dueDate": _date(entry.get("due")),
                        "member": assignee if isinstance(assignee, str) else None,
                    }
                )

    comments: list[tuple[str, str, str, str, str]] = []
    for action in _objects(body, "actions"):
        data = action.get("data")
        if action.get("type") != "commentCard" or not isinstance(data, dict):
            continue
        about = data.get("card")
        card_id = about.get("id") if isinstance(about, dict) else None
        text = _text(data.get("text")).strip()
        when = _date(action.get("date"))
        if not isinstance(card_id, str) or card_id not in card_ids or not text or when is None:
            continue
        creator = action.get("memberCreator")
        author: dict[str, Any] = creator if isinstance(creator, dict) else {}
        name = _text(author.get("fullName")) or _text(author.get("username")) or "Trello user"
        comments.append((when, action["id"], card_id, text, name))
    for when, action_id, card_id, text, name in sorted(comments):
        steps.append(
            {
                "k": "comment",
                "id": hid("comment", action_id),
                "taskId": hid("task", card_id),
                "text": cut(text, COMMENT_MAX, "A comment"),
                "authorName": name[:AUTHOR_NAME_MAX],
                "createdAt": when,
            }
        )

    steps += [
        {"k": "archive_task", "taskId": hid("task", card["id"])}
        for card in cards
        if card.get("closed") is True
    ]
    steps += [
        {"k": "archive_list", "listId": hid("list", item["id"])}
        for item in lists
        if item.get("closed") is True
    ]
    if body.get("closed") is True:
        steps.append({"k": "archive_board", "boardId": board_id})
    return Plan(board_title, steps, unmatched, list(dict.fromkeys(warnings)))
