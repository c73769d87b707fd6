"""The Kubernetes manifests: every overlay renders (``kubectl kustomize``), validates strictly
against the Kubernetes schemas (kubernetes-validate, offline), and keeps the promises of
docs/operations.md: probes, limits, locked-down pods, one image per service, default-deny
networking with each service reaching only its own dependencies, the signing key in auth only,
every setting a service needs provided, and alerts on metrics the code really exports.
"""

from __future__ import annotations

import base64
import copy
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from kubernetes_validate.utils import SchemaNotFoundError, ValidationError, latest_version, validate
from pydantic import Field

from hintro_shared.config import ServiceSettings
from hintro_shared.healthcheck import settings_class
from tests.deploy_helpers import (
    AWAITING_MIGRATIONS,
    ROOT,
    SERVICE_NAMES,
    SERVICE_PORTS,
    dependencies,
    has_migrations,
    required_settings,
)

Doc = dict[str, Any]
K8S = ROOT / "k8s"
OVERLAYS = ("dev", "prod")
# The oldest Kubernetes the manifests promise to work on, and the newest the schemas know.
SCHEMA_VERSIONS = ("1.30", latest_version())
WORKLOAD_KINDS = ("Deployment", "StatefulSet")


def kustomize(path: Path) -> list[Doc]:
    """``kubectl kustomize path`` as documents (kubectl comes with the development image)."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed to render k8s/ (apt-get install kubectl)"
    result = subprocess.run(
        [kubectl, "kustomize", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def fill_example_credentials(k8s_copy: Path) -> None:
    """Give a copy of k8s/ the credential files an operator creates for prod (from the
    examples, and a throwaway signing key)."""
    credentials = k8s_copy / "overlays" / "prod" / "credentials"
    for example in credentials.glob("*.env.example"):
        example.with_name(example.name.removesuffix(".example")).write_text(example.read_text())
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (credentials / "jwt-signing.pem").write_bytes(pem)
    (credentials / "jwt-previous.pem").write_text("")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Doc]]:
    """Every overlay rendered once: dev as it is, prod with example credentials filled in."""
    copy_root = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy_root)
    fill_example_credentials(copy_root)
    return {
        "base": kustomize(K8S / "base"),
        "dev": kustomize(K8S / "overlays" / "dev"),
        "prod": kustomize(copy_root / "overlays" / "prod"),
    }


def find(docs: list[Doc], kind: str, name: str) -> Doc:
    """The one document of this kind and name."""
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def workload(docs: list[Doc], service: str) -> Doc:
    """The Deployment (or, for realtime, StatefulSet) running the service."""
    found = [d for d in docs if d["kind"] in WORKLOAD_KINDS and d["metadata"]["name"] == service]
    assert len(found) == 1, f"{service} has {len(found)} workloads"
    return found[0]


def pod_spec(doc: Doc) -> Doc:
    """The pod template's spec of a workload or Job."""
    spec: Doc = doc["spec"]["template"]["spec"]
    return spec


def named_config(docs: list[Doc], kind: str, name: str) -> Mapping[str, str]:
    """Keys of a ConfigMap or Secret (data or stringData), by its rendered name or by the name
    it had before kustomize appended the content hash."""
    for doc in docs:
        rendered_name = doc["metadata"]["name"]
        if doc["kind"] == kind and (
            rendered_name == name
            or re.fullmatch(rf"{re.escape(name)}-[a-z0-9]{{10}}", rendered_name)
        ):
            return {**doc.get("data", {}), **doc.get("stringData", {})}
    raise AssertionError(f"{kind} {name} is not rendered")


def container_env(docs: list[Doc], container: Doc) -> dict[str, str]:
    """What a container's environment holds: envFrom ConfigMaps and Secrets, then env."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(named_config(docs, "ConfigMap", source["configMapRef"]["name"]))
        if "secretRef" in source:
            data = named_config(docs, "Secret", source["secretRef"]["name"])
            env.update({k: base64.b64decode(v).decode() for k, v in data.items()})
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", "<from valueFrom>")
    return env


def test_every_overlay_renders(rendered: dict[str, list[Doc]]) -> None:
    for overlay in OVERLAYS:
        kinds = {doc["kind"] for doc in rendered[overlay]}
        assert {"Deployment", "StatefulSet", "Service", "NetworkPolicy", "Ingress"} <= kinds
    dev_infra = {d["metadata"]["name"] for d in rendered["dev"] if d["kind"] == "StatefulSet"}
    assert {"mongo", "rabbitmq", "redis"} <= dev_infra
    prod_infra = {d["metadata"]["name"] for d in rendered["prod"] if d["kind"] == "StatefulSet"}
    assert not prod_infra & {"mongo", "rabbitmq", "redis"}, "prod uses managed infrastructure"


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
@pytest.mark.parametrize("overlay", ["base", *OVERLAYS])
def test_manifests_validate_strictly_against_kubernetes_schemas(
    rendered: dict[str, list[Doc]], overlay: str, version: str
) -> None:
    problems: list[str] = []
    for doc in rendered[overlay]:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            validate(doc, version, strict=True)
        except ValidationError as exc:
            problems.append(f"{name}: {'.'.join(map(str, exc.path))}: {exc.message}")
        except SchemaNotFoundError as exc:
            problems.append(f"{name}: {exc.message}")
    assert not problems, "\n".join(problems)


def test_strict_validation_refuses_an_unknown_field(rendered: dict[str, list[Doc]]) -> None:
    broken = copy.deepcopy(workload(rendered["dev"], "auth"))
    pod_spec(broken)["containers"][0]["livenesProbe"] = {"httpGet": {"path": "/healthz"}}
    with pytest.raises(ValidationError):
        validate(broken, latest_version(), strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_workload_service_account_autoscaler_and_budget(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    for service in SERVICE_NAMES:
        work = workload(docs, service)
        selector = work["spec"]["selector"]["matchLabels"]
        assert pod_spec(work)["serviceAccountName"] == service
        find(docs, "ServiceAccount", service)
        svc = find(docs, "Service", service)
        assert svc["spec"]["selector"] == selector, f"{service}'s Service selects other pods"
        port = svc["spec"]["ports"][0]
        assert port["port"] == SERVICE_PORTS[service]
        hpa = find(docs, "HorizontalPodAutoscaler", service)
        target = hpa["spec"]["scaleTargetRef"]
        assert (target["kind"], target["name"]) == (work["kind"], service)
        assert hpa["spec"]["minReplicas"] >= 2, f"{service} must survive losing a replica"
        assert "replicas" not in work["spec"], f"{service}: the autoscaler owns the count"
        pdb = find(docs, "PodDisruptionBudget", service)
        assert pdb["spec"]["selector"]["matchLabels"] == selector


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_pod_is_probed_limited_and_locked_down(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    for service in SERVICE_NAMES:
        work = workload(rendered[overlay], service)
        spec = pod_spec(work)
        shutdown = settings_class(service).model_fields["shutdown_timeout_seconds"].default
        assert spec["terminationGracePeriodSeconds"] > shutdown + 5, service
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] != 0
        assert spec["automountServiceAccountToken"] is False
        (container,) = spec["containers"]
        assert container["command"] == ["python", "-m", f"hintro_{service}"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["lifecycle"]["preStop"], f"{service} must pause before draining"
        resources = container["resources"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[kind]), f"{service} {kind}"
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{service} needs a writable /tmp on a read-only root"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_ships_its_own_image(rendered: dict[str, list[Doc]], overlay: str) -> None:
    images: dict[str, str] = {}
    for service in SERVICE_NAMES:
        (container,) = pod_spec(workload(rendered[overlay], service))["containers"]
        image = container["image"]
        repository, _, tag = image.rpartition(":")
        assert repository.endswith(f"hintro/{service}"), image
        assert tag not in ("", "latest"), f"{service} must pin a tag: {image}"
        images[service] = repository
    assert len(set(images.values())) == len(SERVICE_NAMES)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migrations_run_as_a_job_per_service_with_its_own_image(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    jobs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Job"}
    for service in SERVICE_NAMES:
        if not has_migrations(service):
            assert f"{service}-migrate" not in jobs
            continue
        job = jobs.pop(f"{service}-migrate")
        spec = pod_spec(job)
        (container,) = spec["containers"]
        assert container["command"] == ["python", "-m", f"hintro_{service}.migrate", "up"]
        (service_container,) = pod_spec(workload(docs, service))["containers"]
        assert container["image"] == service_container["image"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert job["spec"]["template"]["metadata"]["labels"]["hintro.dev/uses-mongo"] == "true"
    assert not jobs, f"jobs for no service: {sorted(jobs)}"


# --- networking --------------------------------------------------------------------------------


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A label selector (matchLabels, matchExpressions In/Exists) applied to labels."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        if operator == "In" and labels.get(key) not in expression["values"]:
            return False
        if operator == "Exists" and key not in labels:
            return False
    return True


def policies_for(docs: list[Doc], labels: Mapping[str, str], direction: str) -> list[Doc]:
    """NetworkPolicies that select a pod with ``labels`` for ``Ingress`` or ``Egress``."""
    return [
        d
        for d in docs
        if d["kind"] == "NetworkPolicy"
        and direction in d["spec"].get("policyTypes", [])
        and selects(d["spec"]["podSelector"], labels)
    ]


def peer_names(docs: list[Doc], rules: list[Doc], key: str) -> Iterator[str]:
    """Names of the peers the rules allow (app.kubernetes.io/name, or the infrastructure a
    prod ipBlock stands for, by port)."""
    by_port = {
        27017: "mongo",
        5672: "rabbitmq",
        5671: "rabbitmq",
        6379: "redis",
        6380: "redis",
        587: "smtp",
        465: "smtp",
    }
    for rule in rules:
        for peer in rule.get(key, []):
            pod = peer.get("podSelector", {}).get("matchLabels", {})
            if "app.kubernetes.io/name" in pod:
                yield pod["app.kubernetes.io/name"]
            elif "ipBlock" in peer:
                for port in rule.get("ports", []):
                    yield by_port[port["port"]]
                if not rule.get("ports"):
                    yield "internet"  # any port of the addresses the block allows
            elif (
                peer.get("namespaceSelector", {})
                .get("matchLabels", {})
                .get("kubernetes.io/metadata.name")
                == "kube-system"
            ):
                yield "dns"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_is_denied_by_default(rendered: dict[str, list[Doc]], overlay: str) -> None:
    deny = find(rendered[overlay], "NetworkPolicy", "default-deny")
    assert deny["spec"]["podSelector"] == {}
    assert sorted(deny["spec"]["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_reaches_only_its_own_dependencies(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    for service in SERVICE_NAMES:
        labels = workload(docs, service)["spec"]["template"]["metadata"]["labels"]
        rules = [
            r for p in policies_for(docs, labels, "Egress") for r in p["spec"].get("egress", [])
        ]
        assert all(rule.get("to") for rule in rules), f"{service} has an egress rule to anywhere"
        reached = set(peer_names(docs, rules, "to")) - {"dns"}
        assert reached == dependencies(service), service


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_internet_rules_exclude_every_internal_range(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    internal = {
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
    }
    docs = rendered[overlay]
    labels = workload(docs, "webhook")["spec"]["template"]["metadata"]["labels"]
    rules = [r for p in policies_for(docs, labels, "Egress") for r in p["spec"].get("egress", [])]
    blocks = [
        peer["ipBlock"]
        for rule in rules
        if not rule.get("ports")
        for peer in rule.get("to", [])
        if "ipBlock" in peer
    ]
    assert blocks, "webhook reaches no endpoint on the internet"
    v4 = next(b for b in blocks if b["cidr"] == "0.0.0.0/0")
    assert internal <= set(v4["except"])
    v6 = next(b for b in blocks if b["cidr"] == "::/0")
    assert {"::1/128", "fc00::/7", "fe80::/10"} <= set(v6["except"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_takes_traffic_from_the_ingress(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    for service in SERVICE_NAMES:
        labels = workload(docs, service)["spec"]["template"]["metadata"]["labels"]
        rules = [
            r for p in policies_for(docs, labels, "Ingress") for r in p["spec"].get("ingress", [])
        ]
        callers = set(peer_names(docs, rules, "from"))
        expected = {name for name in SERVICE_NAMES if service in dependencies(name)}
        expected.add("prometheus")
        if service == "gateway":
            expected.add("ingress-nginx")
        assert callers == expected, service
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"]["name"] == "gateway"


def test_socketio_ingress_upgrades_websockets_with_long_timeouts(
    rendered: dict[str, list[Doc]],
) -> None:
    socketio = find(rendered["prod"], "Ingress", "hintro-socketio")
    paths = [p["path"] for r in socketio["spec"]["rules"] for p in r["http"]["paths"]]
    assert paths == ["/socket.io/"]
    notes = socketio["metadata"]["annotations"]
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    assert int(notes["nginx.ingress.kubernetes.io/proxy-send-timeout"]) >= 3600
    api = find(rendered["prod"], "Ingress", "hintro-api")
    assert [p["path"] for r in api["spec"]["rules"] for p in r["http"]["paths"]] == ["/api"]
    assert socketio["spec"]["tls"]
    assert api["spec"]["tls"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_ingress_serves_the_app_but_not_the_api_or_operational_paths(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    web = find(rendered[overlay], "Ingress", "hintro-web")
    assert web["metadata"]["annotations"]["nginx.ingress.kubernetes.io/use-regex"] == "true"
    (path,) = [p for r in web["spec"]["rules"] for p in r["http"]["paths"]]
    assert path["pathType"] == "ImplementationSpecific"
    assert path["backend"]["service"]["name"] == "gateway"
    # nginx matches it as `location ~* "^<path>"` (PCRE; Python's re agrees on this syntax).
    location = re.compile("^" + path["path"], re.IGNORECASE)
    for served in ("/", "/boards", "/boards/64f0/cards/abc", "/assets/index-1a2b.js", "/login"):
        assert location.match(served), served
    for kept_out in (
        "/api",
        "/api/boards",
        "/socket.io/",
        "/socket.io/?EIO=4",
        "/metrics",
        "/healthz",
        "/readyz",
        "/Metrics",
        "/readyz/",
    ):
        assert not location.match(kept_out), kept_out
    if overlay == "prod":
        assert web["spec"]["tls"]
        assert (
            web["spec"]["rules"][0]["host"]
            == find(rendered[overlay], "Ingress", "hintro-api")["spec"]["rules"][0]["host"]
        )


# --- secrets and settings ----------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_signing_key_is_mounted_in_auth_only(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    key_sources = ("hintro-auth-jwt", "auth-dev-keys")
    holders = set()
    for doc in docs:
        if doc["kind"] not in (*WORKLOAD_KINDS, "Job"):
            continue
        for volume in pod_spec(doc).get("volumes", []):
            source = volume.get("secret", {}).get("secretName", "") + volume.get(
                "persistentVolumeClaim", {}
            ).get("claimName", "")
            if source.startswith(key_sources):
                holders.add(doc["metadata"]["name"])
    assert holders == {"auth"}
    (container,) = pod_spec(workload(docs, "auth"))["containers"]
    key_file = container_env(docs, container)["JWT_KEY_FILE"]
    mounts = [m["mountPath"] for m in container["volumeMounts"]]
    assert any(key_file.startswith(mount + "/") for mount in mounts), key_file
    secret_names = {d["metadata"]["name"] for d in docs if d["kind"] == "Secret"}
    assert any(name.startswith("hintro-auth-jwt") for name in secret_names)


_SETTING_NAMES = {
    name.upper() for service in SERVICE_NAMES for name in settings_class(service).model_fields
}


def construct(cls: type[ServiceSettings], env: Mapping[str, str]) -> ServiceSettings:
    """Build the settings from exactly ``env`` (nothing from this test process's environment)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.upper() in _SETTING_NAMES]:
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        return cls()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_a_service_needs_is_provided(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    for service in SERVICE_NAMES:
        (container,) = pod_spec(workload(docs, service))["containers"]
        env = container_env(docs, container)
        missing = required_settings(service) - set(env)
        assert not missing, f"{overlay}: {service} is not given {sorted(missing)}"
        settings = construct(settings_class(service), {**env, "ENVIRONMENT": "production"})
        assert settings.port == SERVICE_PORTS[service]
        assert settings.host == "0.0.0.0"
    for job in (d for d in docs if d["kind"] == "Job"):
        service = job["metadata"]["name"].removesuffix("-migrate")
        (container,) = pod_spec(job)["containers"]
        env = container_env(docs, container)
        assert {"MONGO_URL", "ENVIRONMENT"} <= set(env), job["metadata"]["name"]
        construct(settings_class(service), {**env, "ENVIRONMENT": "production"})


def test_the_settings_rule_catches_a_new_setting_without_manifests() -> None:
    base = settings_class("board")

    class WithSearch(base):  # type: ignore[valid-type,misc]
        search_url: str = "http://127.0.0.1:8010"
        search_timeout_seconds: float = Field(default=2.0)
        ranking_model_path: Path = Path("models/ranking.bin")

    required = required_settings("board", WithSearch)
    assert {"SEARCH_URL", "RANKING_MODEL_PATH"} <= required
    assert "SEARCH_TIMEOUT_SECONDS" not in required
    assert {"MONGO_URL", "RABBITMQ_URL", "REDIS_URL", "AUTH_URL", "HOST"} <= required


def test_required_settings_follow_what_each_service_uses() -> None:
    assert required_settings("gateway") >= {
        "AUTH_URL",
        "BOARD_URL",
        "TASK_URL",
        "ACTIVITY_URL",
        "REALTIME_URL",
        "REDIS_URL",
    }
    assert "MONGO_URL" not in required_settings("gateway")
    assert required_settings("auth") >= {"MONGO_URL", "RABBITMQ_URL", "JWT_KEY_FILE"}
    assert required_settings("realtime") >= {"BOARD_URL", "ACTIVITY_URL", "REDIS_URL"}
    assert "MONGO_URL" not in required_settings("realtime")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_names_every_realtime_replica(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    realtime = workload(docs, "realtime")
    assert realtime["kind"] == "StatefulSet"
    headless = find(docs, "Service", realtime["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    most = find(docs, "HorizontalPodAutoscaler", "realtime")["spec"]["maxReplicas"]
    (gateway,) = pod_spec(workload(docs, "gateway"))["containers"]
    urls = container_env(docs, gateway)["REALTIME_URLS"].split(",")
    port = SERVICE_PORTS["realtime"]
    service = headless["metadata"]["name"]
    assert urls == [f"http://realtime-{i}.{service}:{port}" for i in range(most)]


# --- monitoring --------------------------------------------------------------------------------


def exported_metric_names() -> set[str]:
    """Every metric name the code registers, with the series suffixes Prometheus adds."""
    import importlib

    from prometheus_client import REGISTRY

    for module in (
        "hintro_shared.metrics",
        "hintro_shared.events.metrics",
        "hintro_shared.mongo_metrics",
        "hintro_gateway.metrics",
        "hintro_realtime.metrics",
    ):
        importlib.import_module(module)
    return {
        family.name + suffix
        for family in REGISTRY.collect()
        for suffix in ("", "_total", "_bucket", "_sum", "_count", "_created")
    }


def alert_rules() -> dict[str, Doc]:
    """The alert rules by name."""
    document = yaml.safe_load((K8S / "base" / "monitoring" / "alerts.yml").read_text())
    return {rule["alert"]: rule for group in document["groups"] for rule in group["rules"]}


def test_alert_rules_cover_the_origin_thresholds() -> None:
    rules = alert_rules()
    thresholds = {
        "HintroHighCPU": "> 0.8",
        "HintroHighMemory": "> 0.85",
        "HintroHighLatencyP99": "> 0.5",
        "HintroHighErrorRate": "> 0.01",
        "HintroSlowMongoQueries": "> 0.1",
        "HintroMongoPoolExhausted": "> 0.9",
        "HintroQueueBacklog": "> 1000",
        "HintroDeadLetters": "> 0",
        "HintroDeadLetterBacklog": "hintro_events_dlq_depth) > 0",
        "HintroDeadLettersParked": "hintro_events_parked_depth) > 0",
    }
    for name, threshold in thresholds.items():
        assert threshold in re.sub(r"\s+", " ", rules[name]["expr"]), name
    assert "HintroHealthCheckFailing" in rules
    assert "HintroTargetDown" in rules
    for name, rule in rules.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["runbook"], name


def test_alert_rules_use_metrics_the_code_exports() -> None:
    exported = exported_metric_names()
    for name, rule in alert_rules().items():
        for metric in re.findall(r"\bhintro_[a-z_]+", rule["expr"]):
            assert metric in exported, f"{name} uses {metric}, which nothing exports"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_scrapes_every_service(rendered: dict[str, list[Doc]], overlay: str) -> None:
    config = yaml.safe_load((K8S / "base" / "monitoring" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    keep = jobs["hintro-pods"]["relabel_configs"][0]
    assert keep["source_labels"] == ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
    assert {"kubelet-cadvisor", "kubelet-probes"} <= set(jobs)
    for service in SERVICE_NAMES:
        template = workload(rendered[overlay], service)["spec"]["template"]
        notes = template["metadata"]["annotations"]
        assert notes["prometheus.io/scrape"] == "true"
        assert notes["prometheus.io/path"] == "/metrics"
        assert int(notes["prometheus.io/port"]) == SERVICE_PORTS[service]
    prometheus_config = named_config(rendered["dev"], "ConfigMap", "hintro-prometheus")
    assert set(prometheus_config) == {"prometheus.yml", "alerts.yml"}


def test_every_mongo_service_has_migrations_or_is_known_to_await_them() -> None:
    for service in SERVICE_NAMES:
        owns_database = "mongo" in dependencies(service)
        if service in AWAITING_MIGRATIONS:
            assert not has_migrations(service), f"{service} has migrations now: drop it from"
            continue
        assert has_migrations(service) == owns_database, service
