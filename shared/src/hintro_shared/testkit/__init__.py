"""Test support several services' tests share: access tokens signed with a test key the app
under test trusts (:mod:`.tokens`), a stand-in for the board service (:mod:`.boards`) and a
harness running a board-view service against both (:mod:`.harness`). Event probes and broker
clean-up live in :mod:`hintro_shared.events.testing`; infrastructure URLs, scratch databases
and unique names in :mod:`hintro_shared.testing`."""
