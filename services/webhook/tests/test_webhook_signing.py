"""Signatures checked by an independent implementation (the ``standardwebhooks`` package)."""

from __future__ import annotations

import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from hintro_webhook.signing import headers, new_secret, secret_key, signature, signature_header


def test_a_signature_verifies_with_the_reference_implementation() -> None:
    secret = new_secret()
    body = b'{"type":"task.created","data":{"id":"t1"}}'
    now = int(time.time())
    signed = headers([secret], "d1", now, body)
    assert Webhook(secret).verify(body, signed) == {"type": "task.created", "data": {"id": "t1"}}


def test_a_tampered_body_or_other_secret_does_not_verify() -> None:
    secret = new_secret()
    body = b'{"a":1}'
    signed = headers([secret], "d1", int(time.time()), body)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"a":2}', signed)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, signed)


def test_during_a_rotation_both_secrets_verify() -> None:
    new, old = new_secret(), new_secret()
    body = b"{}"
    signed = headers([new, old], "d2", int(time.time()), body)
    assert signed["webhook-signature"].count("v1,") == 2
    assert " " in signed["webhook-signature"]
    Webhook(new).verify(body, signed)
    Webhook(old).verify(body, signed)


def test_known_vector() -> None:
    # The example of the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_secrets_are_fresh_and_well_formed() -> None:
    a, b = new_secret(), new_secret()
    assert a != b
    assert a.startswith("whsec_")
    assert len(secret_key(a)) == 32
    with pytest.raises(ValueError, match="secret"):
        secret_key("whsec_not base64!")
    assert signature_header([], "x", 1, b"") == ""
