"""Who counts as an internal caller: only one presenting the configured INTERNAL_TOKEN; with no
token configured, nobody (so every internal route answers 404, whatever is sent)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from pydantic import SecretStr

from hintro_shared.internal import internal_authorization, is_internal_caller

TOKEN = SecretStr("internal-5e3a9c")


def request_with(authorization: str | None) -> web.Request:
    headers = {} if authorization is None else {"Authorization": authorization}
    return make_mocked_request("POST", "/internal/board-states", headers=headers)


def test_only_the_configured_token_is_an_internal_caller() -> None:
    assert is_internal_caller(request_with(internal_authorization(TOKEN)), TOKEN)
    for presented in (None, "", "Internal", "Internal wrong", f"Bearer {TOKEN.get_secret_value()}"):
        assert not is_internal_caller(request_with(presented), TOKEN)


def test_without_a_token_configured_nobody_is_an_internal_caller() -> None:
    for presented in (None, "Internal ", "Internal None", internal_authorization(TOKEN)):
        assert not is_internal_caller(request_with(presented), None)
        assert not is_internal_caller(request_with(presented), SecretStr(""))
