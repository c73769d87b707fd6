"""The capability table, cursors and If-Match parsing that the board and task services share."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from hintro_shared.authz import Action, Role, authorize, can
from hintro_shared.config import ServiceSettings
from hintro_shared.http import create_base_app
from hintro_shared.pagination import decode_cursor, encode_cursor
from hintro_shared.problems import Problem
from hintro_shared.refusals import Forbidden, NotFound, RuleBroken
from hintro_shared.versioning import etag, expected_version


@pytest.mark.parametrize("action", list(Action))
def test_owner_can_do_everything(action: Action) -> None:
    assert can(Role.OWNER, action)


def test_editor_edits_content_but_not_membership_or_deletion() -> None:
    assert can("editor", Action.EDIT_TASKS)
    assert can("editor", Action.EDIT_LISTS)
    assert not can("editor", Action.MANAGE_MEMBERS)
    assert not can("editor", Action.DELETE_BOARD)


@pytest.mark.parametrize("action", [a for a in Action if a is not Action.READ])
def test_viewer_cannot_write(action: Action) -> None:
    with pytest.raises(Forbidden):
        authorize(Role.VIEWER, action)


@pytest.mark.parametrize("action", list(Action))
def test_non_member_gets_404_never_403(action: Action) -> None:
    with pytest.raises(NotFound):
        authorize(None, action)


def test_cursor_round_trips_and_rejects_garbage() -> None:
    key = {"listPosition": "a0", "position": "a1V", "id": "abc"}
    assert decode_cursor(encode_cursor(key)) == key
    for garbage in ["!!!", "bm90IGpzb24", encode_cursor({"x": 1})[:-3] + "@@@"]:
        with pytest.raises(RuleBroken) as caught:
            decode_cursor(garbage)
        assert caught.value.loc == ("query", "cursor")


def test_if_match_parsing() -> None:
    assert etag(3) == '"3"'
    assert expected_version(make_mocked_request("PATCH", "/", headers={"If-Match": '"3"'})) == 3
    assert expected_version(make_mocked_request("PATCH", "/", headers={"If-Match": 'W/"4"'})) == 4
    assert expected_version(make_mocked_request("PATCH", "/")) is None
    assert expected_version(make_mocked_request("PATCH", "/", headers={"If-Match": "*"})) is None
    with pytest.raises(Problem) as caught:
        expected_version(make_mocked_request("PATCH", "/", headers={"If-Match": '"abc"'}))
    assert caught.value.status == 412


@pytest.mark.parametrize(
    "header", ['"²"', '"١٢"', '"99999999999999999999"', '"-1"', '"1 "', '""', '"3" "4"']
)
def test_if_match_that_is_not_a_plain_version_is_412(header: str) -> None:
    with pytest.raises(Problem) as caught:
        expected_version(make_mocked_request("PATCH", "/", headers={"If-Match": header}))
    assert caught.value.status == 412


async def test_an_odd_if_match_is_a_412_problem_over_http() -> None:
    async def patch(request: web.Request) -> web.Response:
        return web.json_response({"version": expected_version(request)})

    app = create_base_app(ServiceSettings(service_name="versioning", environment="test"))
    app.router.add_patch("/thing", patch)
    async with TestClient(TestServer(app)) as client:
        response = await client.patch("/thing", headers={"If-Match": '"²"'})
        assert response.status == 412
        assert response.content_type == "application/problem+json"
        ok = await client.patch("/thing", headers={"If-Match": '"7"'})
        assert await ok.json() == {"version": 7}
