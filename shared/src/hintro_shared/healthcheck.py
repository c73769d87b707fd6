"""``python -m hintro_shared.healthcheck``: the container image's HEALTHCHECK.

Asks the service in this container for ``/readyz`` (or ``--path``) on its port and exits 0 on
a 2xx answer, 1 otherwise. The slim image has no curl, and the port is the service's own
setting: ``PORT`` when set, else the default of the service's Settings class, found from
``HINTRO_SERVICE`` (set by the Dockerfile), so it never disagrees with the service.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence

from hintro_shared.config import ServiceSettings


def settings_class(service: str) -> type[ServiceSettings]:
    """The :class:`ServiceSettings` subclass declared in ``hintro_<service>.config``."""
    module = importlib.import_module(f"hintro_{service}.config")
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, ServiceSettings)
            and value is not ServiceSettings
            and value.__module__ == module.__name__
        ):
            return value
    raise LookupError(f"hintro_{service}.config declares no ServiceSettings subclass")


def service_port(service: str, environ: dict[str, str] | None = None) -> int:
    """``PORT`` from the environment, else the service's default port."""
    environ = dict(os.environ) if environ is None else environ
    if environ.get("PORT"):
        return int(environ["PORT"])
    default = settings_class(service).model_fields["port"].default
    return int(default)


def check(url: str, timeout: float) -> bool:
    """Whether ``url`` answers 2xx within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (http only)
            return 200 <= int(response.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main(argv: Sequence[str] | None = None) -> None:
    """Exit 0 when the service answers, 1 when it does not."""
    parser = argparse.ArgumentParser(prog="python -m hintro_shared.healthcheck")
    parser.add_argument("--service", default=os.environ.get("HINTRO_SERVICE", ""))
    parser.add_argument("--path", default="/readyz", help="/readyz (default) or /healthz")
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    if not args.service:
        parser.error("name the service with --service or HINTRO_SERVICE")
    url = f"http://127.0.0.1:{service_port(args.service)}{args.path}"
    sys.exit(0 if check(url, args.timeout) else 1)


if __name__ == "__main__":
    main()
