"""What the deployment tests derive from the code: the services, the settings each one must be
given in a cluster, and the dependencies it reaches (docs/operations.md, "Settings coverage").

The rule, in one place: a setting must be provided by a service's manifests and its compose
service when the service *reads* it and its default is *unsafe in a cluster*.

- Reads: every field its own Settings class declares beyond the shared ones; the shared fields
  every process uses (``HOST``, ``PORT``, ``ENVIRONMENT``); and the shared fields behind a shared
  helper the service wires up (``mongo_ctx`` → ``MONGO_URL``, ``rabbit_ctx`` → ``RABBITMQ_URL``,
  ``redis_ctx`` or the Redis URL → ``REDIS_URL``, ``token_verifier_ctx`` → ``AUTH_URL``).
- Unsafe default: none at all, a default naming a loopback address (it would point inside the
  container), a relative path (it would land in the read-only image), and ``ENVIRONMENT``
  (its default, development, relaxes the production checks).

On top of that, the environment a deployment provides must build the Settings class without
error in production, which catches settings a validator makes mandatory there.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from pydantic.fields import FieldInfo

from hintro_devtools.services import SERVICES
from hintro_shared.config import ServiceSettings
from hintro_shared.healthcheck import settings_class

ROOT = Path(__file__).resolve().parents[1]
SERVICE_NAMES: tuple[str, ...] = tuple(spec.name for spec in SERVICES)
SERVICE_PORTS: dict[str, int] = {spec.name: spec.port for spec in SERVICES}
INFRA = ("mongo", "rabbitmq", "redis")

_LOOPBACK = re.compile(r"(127\.0\.0\.1|localhost|\[::1\])")
# Shared helper (as written in a service's source) -> the shared settings it reads.
_SHARED_READERS: dict[str, frozenset[str]] = {
    "mongo_ctx(": frozenset({"mongo_url"}),
    "rabbit_ctx(": frozenset({"rabbitmq_url"}),
    "redis_ctx(": frozenset({"redis_url"}),
    "settings.redis_url": frozenset({"redis_url"}),
    "token_verifier_ctx(": frozenset({"auth_url"}),
}
_ALWAYS_READ = frozenset({"host", "port", "environment"})
_SHARED_FIELDS = frozenset(ServiceSettings.model_fields)


def package_dir(service: str) -> Path:
    """The service's package directory (``.../src/hintro_<service>``)."""
    spec = importlib.util.find_spec(f"hintro_{service}")
    assert spec is not None, service
    assert spec.submodule_search_locations, service
    return Path(next(iter(spec.submodule_search_locations)))


def service_source(service: str) -> str:
    """The service's runtime code (test helpers and fakes left out)."""
    files = sorted(package_dir(service).glob("*.py"))
    return "\n".join(
        path.read_text()
        for path in files
        if path.name != "testing.py" and not path.name.startswith("fake_")
    )


def fields_read(service: str, cls: type[ServiceSettings] | None = None) -> set[str]:
    """Setting names (lower case) the service reads, by the rule above."""
    cls = cls or settings_class(service)
    source = service_source(service)
    read = set(_ALWAYS_READ) | (set(cls.model_fields) - _SHARED_FIELDS)
    for marker, fields in _SHARED_READERS.items():
        if marker in source:
            read |= fields
    return read


def unsafe_default(name: str, field: FieldInfo) -> bool:
    """Whether a field's default cannot be used as it is in a cluster."""
    if field.is_required() or name == "environment":
        return True
    default = field.get_default(call_default_factory=True)
    if isinstance(default, str) and _LOOPBACK.search(default):
        return True
    return isinstance(default, Path) and not default.is_absolute()


def required_settings(service: str, cls: type[ServiceSettings] | None = None) -> set[str]:
    """Environment variable names the deployment of ``service`` must set."""
    cls = cls or settings_class(service)
    return {
        name.upper()
        for name in fields_read(service, cls)
        if unsafe_default(name, cls.model_fields[name])
    }


def dependencies(service: str) -> set[str]:
    """Infrastructure (mongo, rabbitmq, redis) and services this service connects to."""
    source = service_source(service)
    deps: set[str] = set()
    if "mongo_ctx(" in source:
        deps.add("mongo")
    if "rabbit_ctx(" in source:
        deps.add("rabbitmq")
    if "redis_ctx(" in source or "settings.redis_url" in source:
        deps.add("redis")
    if "token_verifier_ctx(" in source:
        deps.add("auth")
    own = set(settings_class(service).model_fields) - _SHARED_FIELDS
    deps |= {other for other in SERVICE_NAMES if f"{other}_url" in own}
    if "smtp_host" in own:
        deps.add("smtp")  # the mail server, outside the cluster
    if "webhook_allow_cidrs" in own:
        deps.add("internet")  # webhook endpoints: public addresses, any port
    deps.discard(service)
    return deps


def has_migrations(service: str) -> bool:
    """Whether the service ships ``hintro_<service>.migrations`` and its ``migrate`` entry."""
    return (package_dir(service) / "migrations.py").is_file() and (
        package_dir(service) / "migrate.py"
    ).is_file()


# Services that own a MongoDB database but have no migrations yet: their engineers add
# ``migrations.py`` + ``migrate.py`` when they finish (docs/database.md); until then start-up
# index creation is their only path. test_deploy_migrations fails once one of them has
# migrations, so this list cannot go stale. Empty: every such service has its migrations.
AWAITING_MIGRATIONS: frozenset[str] = frozenset()
