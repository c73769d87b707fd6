"""Test support for the suite's tests, a dev-only package that no service depends on (so none
of it, nor ``aiohttp.test_utils``, reaches a service image): infrastructure URLs, scratch
databases, unique names and waiting (:mod:`.infra`), event probes and broker clean-up
(:mod:`.events`), access tokens signed with a test key the app under test trusts
(:mod:`.tokens`), a stand-in for the board service (:mod:`.boards`) and a harness running a
board-view service against both (:mod:`.harness`). Each service's own helpers live beside its
tests (``services/<name>/tests/support.py``)."""
