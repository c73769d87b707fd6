"""docker-compose.yml: valid against the compose specification (the schema check-jsonschema
vendors, so no Docker engine or network is needed), the whole suite with health-gated start-up,
two realtime replicas behind the gateway on 8080, migrations first, and no secret written in
the file except as a ``${VAR:-development default}`` that .env.example repeats.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from hintro_shared.config import ServiceSettings
from hintro_shared.healthcheck import settings_class
from tests.deploy_helpers import (
    INFRA,
    ROOT,
    SERVICE_NAMES,
    SERVICE_PORTS,
    dependencies,
    has_migrations,
    required_settings,
)

Doc = dict[str, Any]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::-(?P<default>[^}]*))?\}")
_SECRET_NAME = re.compile(r"PASSWORD|PASS$|SECRET|PRIVATE_KEY|TOKEN$|AUTH$")
_CREDENTIALS_IN_URL = re.compile(r"://(?P<userinfo>[^@/]*)@")


def compose_schema() -> Doc:
    """The compose specification's JSON schema, as vendored by check-jsonschema."""
    text = (
        resources.files("check_jsonschema.builtin_schemas.vendor")
        .joinpath("compose-spec.json")
        .read_text()
    )
    schema: Doc = json.loads(text)
    return schema


def env_example() -> dict[str, str]:
    """.env.example as a mapping."""
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose's ``${VAR:-default}`` interpolation over a loaded document."""
    if isinstance(value, str):
        return _VARIABLE.sub(
            lambda m: env.get(m.group("name")) or (m.group("default") or ""), value
        )
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    return value


@pytest.fixture(scope="module")
def raw() -> Doc:
    """docker-compose.yml as written (anchors and merge keys resolved by the YAML loader)."""
    document: Doc = yaml.safe_load(COMPOSE.read_text())
    return document


@pytest.fixture(scope="module")
def compose(raw: Doc) -> Doc:
    """docker-compose.yml as compose sees it with an empty .env (the defaults)."""
    result: Doc = interpolate(raw, {})
    return result


def environment(service: Doc) -> dict[str, str]:
    """A compose service's environment as a mapping."""
    env = service.get("environment", {})
    if isinstance(env, list):
        return dict(item.partition("=")[::2] for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def instances(compose: Doc, service: str) -> dict[str, Doc]:
    """The compose services that run ``python -m hintro_<service>`` (its replicas)."""
    return {
        name: definition
        for name, definition in compose["services"].items()
        if definition.get("command") == ["python", "-m", f"hintro_{service}"]
    }


def hintro_services(compose: Doc) -> Iterator[tuple[str, str, Doc]]:
    """(service, compose name, definition) of every long-running Hintro process."""
    for service in SERVICE_NAMES:
        for name, definition in instances(compose, service).items():
            yield service, name, definition


@pytest.mark.parametrize("form", ["as written", "interpolated"])
def test_compose_file_follows_the_compose_specification(raw: Doc, compose: Doc, form: str) -> None:
    document = raw if form == "as written" else compose
    validator = jsonschema.Draft202012Validator(compose_schema())
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]
    assert not errors, "\n".join(errors)


def test_the_specification_check_refuses_an_unknown_key(compose: Doc) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["gateway"]["helthcheck"] = {"test": ["CMD", "true"]}
    validator = jsonschema.Draft202012Validator(compose_schema())
    assert list(validator.iter_errors(broken))


def test_every_service_runs_with_a_health_check_and_healthy_dependencies(compose: Doc) -> None:
    for service in SERVICE_NAMES:
        assert instances(compose, service), f"{service} is missing from docker-compose.yml"
    for service, name, definition in hintro_services(compose):
        assert definition["healthcheck"]["test"][:2] == ["CMD", "python"], name
        assert definition["image"].startswith(f"hintro/{service}:"), name
        assert definition["build"]["args"]["SERVICE"] == service, name
        depends = definition["depends_on"]
        for dependency, condition in depends.items():
            expected = (
                "service_completed_successfully"
                if dependency.endswith("-migrate")
                else "service_healthy"
            )
            assert condition["condition"] == expected, f"{name} -> {dependency}"
        needed = set()
        for dependency in dependencies(service):
            needed |= {dependency} if dependency in INFRA else set(instances(compose, dependency))
        assert needed <= set(depends), f"{name} starts before {sorted(needed - set(depends))}"
        assert definition["read_only"] is True
        assert definition["cap_drop"] == ["ALL"]
    for infrastructure in INFRA:
        assert compose["services"][infrastructure]["healthcheck"]["test"], infrastructure


def test_mongodb_is_a_replica_set_that_initiates_itself(compose: Doc) -> None:
    mongo = compose["services"]["mongo"]
    assert "--replSet" in mongo["command"]
    assert "rs.initiate" in mongo["healthcheck"]["test"][-1]
    assert "isWritablePrimary" in mongo["healthcheck"]["test"][-1]
    for service, name, definition in hintro_services(compose):
        if "mongo" in dependencies(service):
            assert "replicaSet=rs0" in environment(definition)["MONGO_URL"], name
    assert compose["services"]["rabbitmq"]["image"].endswith("-management")


def test_migrations_run_once_before_each_service(compose: Doc) -> None:
    for service in SERVICE_NAMES:
        if not has_migrations(service):
            continue
        migrate = compose["services"][f"{service}-migrate"]
        assert migrate["command"] == ["python", "-m", f"hintro_{service}.migrate", "up"]
        assert migrate["restart"] == "no"
        assert migrate["depends_on"]["mongo"]["condition"] == "service_healthy"
        for name, definition in instances(compose, service).items():
            assert migrate["image"] == definition["image"], name
            condition = definition["depends_on"][f"{service}-migrate"]["condition"]
            assert condition == "service_completed_successfully", name


def test_two_realtime_replicas_behind_the_gateway_on_8080(compose: Doc) -> None:
    replicas = instances(compose, "realtime")
    assert len(replicas) == 2
    gateway = compose["services"]["gateway"]
    port = SERVICE_PORTS["realtime"]
    urls = environment(gateway)["REALTIME_URLS"].split(",")
    assert sorted(urls) == sorted(f"http://{name}:{port}" for name in replicas)
    assert gateway["ports"] == ["8080:8080"]
    published = {
        name for name, definition in compose["services"].items() if definition.get("ports")
    }
    assert published == {"gateway", "rabbitmq"}
    assert all(p.startswith("127.0.0.1:") for p in compose["services"]["rabbitmq"]["ports"])


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    elif isinstance(value, str):
        yield path, value


def test_no_secret_is_written_into_the_compose_file(raw: Doc) -> None:
    for path, value in _leaves(raw):
        key = path.rsplit(".", 1)[-1]
        if _SECRET_NAME.search(key) or key == "--requirepass":
            assert _VARIABLE.fullmatch(value), f"{path} must be a ${{VAR:-default}}"
        for match in _CREDENTIALS_IN_URL.finditer(value):
            userinfo = _VARIABLE.sub("", match.group("userinfo")).strip(":")
            assert not userinfo, f"{path} writes credentials into a URL: {value}"
    command = raw["services"]["redis"]["command"]
    password = command[command.index("--requirepass") + 1]
    assert _VARIABLE.fullmatch(password)


def test_env_example_holds_every_variable_with_the_same_default(raw: Doc) -> None:
    example = env_example()
    used: dict[str, str] = {}
    for _, value in _leaves(raw):
        for match in _VARIABLE.finditer(value):
            used.setdefault(match.group("name"), match.group("default") or "")
            assert used[match.group("name")] == (match.group("default") or ""), match.group(0)
    assert set(used) == set(example)
    assert {name: example[name] for name in used} == used


def construct(cls: type[ServiceSettings], env: Mapping[str, str]) -> ServiceSettings:
    """The settings from exactly ``env``."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.lower() in cls.model_fields]:
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        return cls()


def test_every_setting_a_service_needs_is_provided(compose: Doc) -> None:
    for service, name, definition in hintro_services(compose):
        env = environment(definition)
        missing = required_settings(service) - set(env)
        assert not missing, f"{name} is not given {sorted(missing)}"
        for mode in ("development", "production"):
            settings = construct(settings_class(service), {**env, "ENVIRONMENT": mode})
            assert settings.port == SERVICE_PORTS[service]
    for name, definition in compose["services"].items():
        if name.endswith("-migrate"):
            service = name.removesuffix("-migrate")
            construct(
                settings_class(service), {**environment(definition), "ENVIRONMENT": "production"}
            )
