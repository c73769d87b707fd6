"""The notification rules without I/O: audiences, ids, the due-soon window, sentences."""

from __future__ import annotations

from hintro_notification.domain import (
    DUE_SOON_MS,
    Kind,
    Notification,
    due_soon,
    link,
    notification_id,
    recipients,
    sentence,
)
from hintro_notification.schemas import KindOut


def test_the_actor_is_never_a_recipient_and_each_person_is_notified_once() -> None:
    assert recipients("ada", ["bob", "ada"], ["cy", "bob"], ["bad id!"]) == ["bob", "cy"]
    assert recipients(None, ["bob"]) == ["bob"]


def test_ids_derive_from_the_cause_and_the_user() -> None:
    first = notification_id("event-1", "bob")
    assert first == notification_id("event-1", "bob")
    assert first != notification_id("event-1", "cy")
    assert len(first) == 32
    assert int(first, 16) >= 0


def test_the_due_soon_window_is_the_next_24_hours() -> None:
    now = 1_000_000_000
    assert due_soon(now + 1, now)
    assert due_soon(now + DUE_SOON_MS, now)
    assert not due_soon(now + DUE_SOON_MS + 1, now)
    assert not due_soon(now, now)


def test_sentences_and_links() -> None:
    n = Notification(
        id="n1",
        user_id="bob",
        kind=Kind.TASK_MOVED,
        board_id="b1",
        task_id="t1",
        actor_id="ada",
        created_at="2026-12-05T10:00:00.000Z",
        read=False,
        data={"taskTitle": "Fix", "boardTitle": "Road", "toListTitle": "Done"},
    )
    assert sentence(n, "Ada") == "Ada moved “Fix” to “Done” on “Road”."
    assert link(n, "https://h.example/") == "https://h.example/boards/b1/cards/t1"


def test_the_wire_kinds_are_the_domain_kinds() -> None:
    assert set(KindOut.__args__) == {kind.value for kind in Kind}


def test_production_refuses_mail_without_tls() -> None:
    import pydantic
    import pytest

    from hintro_notification.config import Settings

    production = {"environment": "production", "rabbitmq_url": "amqp://u:p@h/"}
    with pytest.raises(pydantic.ValidationError, match="SMTP_SECURITY"):
        Settings(**production, smtp_security="none")
    assert Settings(**production, smtp_security="starttls").smtp.security == "starttls"


def test_the_disabled_webhook_sentence_names_the_url_and_board() -> None:
    n = Notification(
        id="n2",
        user_id="ada",
        kind=Kind.WEBHOOK_DISABLED,
        board_id="b1",
        task_id=None,
        actor_id=None,
        created_at="2026-12-05T10:00:00.000Z",
        read=False,
        data={"url": "https://hooks.example/in", "boardTitle": "Road"},
    )
    assert sentence(n, None) == (
        "The webhook to “https://hooks.example/in” on “Road” was disabled: it kept failing."
    )
    assert link(n, "https://h.example") == "https://h.example/boards/b1"
