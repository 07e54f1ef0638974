"""compose.yaml and the Dockerfile agree with the CLI and the settings (no Docker needed)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from quadra.cli import app
from quadra.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
APP_SERVICES = {"migrate", "api", "worker", "sink"}
ENV_PREFIX = "QUADRA_"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Settings must be judged on the compose values only, not on the caller's environment.
    import os

    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


def _env(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.split("=", 1) if "=" in item else (item, "") for item in raw)
        return {key: value for key, value in pairs}
    return {str(key): "" if value is None else str(value) for key, value in raw.items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    assert command, "app service without a command"
    tokens = shlex.split(command) if isinstance(command, str) else [str(t) for t in command]
    # The image's ENTRYPOINT is `quadra`; tolerate it being spelled out as well.
    return tokens[1:] if tokens and tokens[0] == "quadra" else tokens


def _is_group(command: Any) -> bool:
    # Typer >= 0.29 vendors its own Click, so duck-type rather than isinstance(click.Group).
    return isinstance(getattr(command, "commands", None), dict)


def _resolve(tokens: list[str]) -> Any:
    """Walk the Typer command tree (typer.main.get_command) along the non-option tokens."""
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    for token in tokens:
        if token.startswith("-"):
            continue
        if not _is_group(command):
            break
        assert token in command.commands, (
            f"`quadra {' '.join([*path, token])}` is not a CLI command; "
            f"`quadra {' '.join(path)}` offers {sorted(command.commands)}"
        )
        command = command.commands[token]
        path.append(token)
    assert path and not _is_group(command), f"`quadra {' '.join(path)}` is a group, not a command"
    return command


def _settings_from(env: dict[str, str]) -> Settings:
    values = {k[len(ENV_PREFIX) :].lower(): v for k, v in env.items() if k.startswith(ENV_PREFIX)}
    return Settings(_env_file=None, **values)


def _published_host_ports(service: dict[str, Any]) -> list[str]:
    published = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            if port.get("published") not in (None, ""):
                published.append(str(port["published"]))
        else:
            spec = str(port).split("/")[0]
            parts = spec.rsplit(":", 1)
            if len(parts) == 2 and parts[0].split(":")[-1]:
                published.append(parts[0])
    return published


def test_app_services_present_and_built_from_repo(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert APP_SERVICES <= set(services), f"missing: {APP_SERVICES - set(services)}"
    assert {"kafka", "clickhouse"} <= set(services)
    for name in APP_SERVICES:
        build = services[name].get("build")
        context = build if isinstance(build, str) else (build or {}).get("context")
        assert context in (".", "./"), f"{name} must build from the repo root"
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        assert (ROOT / dockerfile).is_file()


@pytest.mark.parametrize("name", sorted(APP_SERVICES))
def test_command_is_a_real_cli_command(compose: dict[str, Any], name: str) -> None:
    command = _resolve(_command(compose["services"][name]))
    assert command.name == name  # each role's service runs the command of the same name


def test_command_resolution_rejects_unknown_and_groups() -> None:
    assert _resolve(["kafka", "start"]).name == "start"
    with pytest.raises(AssertionError):
        _resolve(["no-such-command"])
    with pytest.raises(AssertionError):
        _resolve(["kafka"])


def test_every_quadra_variable_is_a_settings_field(compose: dict[str, Any]) -> None:
    fields = {name.upper() for name in Settings.model_fields}
    text = COMPOSE.read_text(encoding="utf-8")
    used = set(re.findall(r"\b" + ENV_PREFIX + r"[A-Z0-9_]+\b", text))
    for service in compose["services"].values():
        used |= {k for k in _env(service) if k.startswith(ENV_PREFIX)}
    assert used, "compose.yaml configures no QUADRA_* variables"
    unknown = sorted(v for v in used if v[len(ENV_PREFIX) :] not in fields)
    assert not unknown, f"not fields of quadra.settings.Settings: {unknown}"


def test_shared_env_is_used_by_every_app_service(compose: dict[str, Any]) -> None:
    shared = compose.get("x-quadra-env")
    assert isinstance(shared, dict) and shared, "x-quadra-env anchor missing"
    shared = {str(k): str(v) for k, v in shared.items()}
    for name in APP_SERVICES:
        env = _env(compose["services"][name])
        assert shared.items() <= env.items(), f"{name} does not use the shared environment"


def test_shared_env_validates_for_the_scaled_mode(compose: dict[str, Any]) -> None:
    settings = _settings_from({str(k): str(v) for k, v in compose["x-quadra-env"].items()})
    assert settings.kafka_bootstrap == "kafka:9092"
    assert settings.clickhouse_embedded is False
    assert settings.clickhouse_url.startswith("http://")
    assert "@clickhouse:8123" in settings.clickhouse_url
    assert settings.api_host == "0.0.0.0"  # reachable from outside the container
    assert settings.kafka_partitions >= 2  # room for more than one worker


@pytest.mark.parametrize("name", ["api", "sink", "migrate"])
def test_clickhouse_users_use_the_server_not_chdb(compose: dict[str, Any], name: str) -> None:
    env = _env(compose["services"][name])
    dsn = env.get("QUADRA_CLICKHOUSE_DSN", "")
    assert dsn, f"{name} has no QUADRA_CLICKHOUSE_DSN and would fall back to the embedded engine"
    assert not dsn.lower().startswith("chdb"), f"{name} uses chdb, which one process owns"
    settings = _settings_from(env)
    assert settings.clickhouse_embedded is False


def test_kafka_image_matches_local_broker_version(compose: dict[str, Any]) -> None:
    version = Settings.model_fields["local_kafka_version"].default
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{version}"


def test_kafka_is_single_node_kraft(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    env = _env(kafka)
    assert env["KAFKA_PROCESS_ROLES"].replace(" ", "") in ("broker,controller", "controller,broker")
    assert env["KAFKA_NODE_ID"] == "1"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "CONTROLLER://" in env["KAFKA_LISTENERS"] and ":9093" in env["KAFKA_LISTENERS"]
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    quorum = env.get("KAFKA_CONTROLLER_QUORUM_VOTERS") or env.get(
        "KAFKA_CONTROLLER_QUORUM_BOOTSTRAP_SERVERS", ""
    )
    assert "kafka:9093" in quorum
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    ):
        assert env[key] == "1", key
    assert env["KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS"] == "0"
    assert "kafka-broker-api-versions.sh" in str(kafka["healthcheck"]["test"])


def test_clickhouse_server(compose: dict[str, Any]) -> None:
    clickhouse = compose["services"]["clickhouse"]
    assert clickhouse["image"].startswith("clickhouse/clickhouse-server:")
    env = _env(clickhouse)
    assert env["CLICKHOUSE_DB"] == "quadra"
    dsn = compose["x-quadra-env"]["QUADRA_CLICKHOUSE_DSN"]
    assert f"//{env['CLICKHOUSE_USER']}:{env['CLICKHOUSE_PASSWORD']}@" in dsn
    assert "8123/ping" in str(clickhouse["healthcheck"]["test"])
    volume = str(clickhouse["volumes"][0]).split(":")[0]
    assert volume in (compose.get("volumes") or {}), "ClickHouse data should be a named volume"


def test_dependencies_wait_for_health_and_migrations(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in APP_SERVICES:
        depends = services[name].get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for target, spec in depends.items():
            if spec.get("condition") == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"
    assert services["migrate"]["depends_on"]["clickhouse"]["condition"] == "service_healthy"
    for name in ("api", "worker", "sink"):
        depends = services[name]["depends_on"]
        assert depends["kafka"]["condition"] == "service_healthy", name
    for name in ("api", "sink"):
        depends = services[name]["depends_on"]
        assert depends["clickhouse"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name


def test_worker_can_scale(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert "container_name" not in worker
    assert _published_host_ports(worker) == []
    assert int(worker.get("deploy", {}).get("replicas", 1)) >= 2


def test_published_port_detection() -> None:
    assert _published_host_ports({"ports": ["8000:8000"]}) == ["8000"]
    assert _published_host_ports({"ports": ["127.0.0.1:8000:8000/tcp"]}) == ["127.0.0.1:8000"]
    assert _published_host_ports({"ports": [{"target": 8000, "published": 8000}]}) == ["8000"]
    assert _published_host_ports({"ports": ["8000", {"target": 8000}]}) == []


HAPROXY_CONFIG = "/usr/local/etc/haproxy/haproxy.cfg"  # where the official haproxy image reads it
_HAPROXY_SECTIONS = {"global", "defaults", "frontend", "backend", "listen", "resolvers"}


def _haproxy_sections(text: str) -> dict[str, list[list[str]]]:
    """'<section> <name>' (or 'global') → the section's lines as words, comments dropped."""
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if not line[0].isspace() and words[0] in _HAPROXY_SECTIONS:
            current = sections.setdefault(" ".join(words[:2]), [])
        else:
            assert current is not None, f"haproxy line outside a section: {line!r}"
            current.append(words)
    return sections


def _proxy_config(compose: dict[str, Any]) -> dict[str, list[list[str]]]:
    mounts = _mounts(compose["services"]["proxy"])
    assert HAPROXY_CONFIG in mounts, "the proxy must mount its config from the repo"
    return _haproxy_sections((ROOT / mounts[HAPROXY_CONFIG]).read_text(encoding="utf-8"))


def _lines(section: list[list[str]], keyword: str) -> list[list[str]]:
    return [words for words in section if words[0] == keyword]


def test_haproxy_section_parsing() -> None:
    text = "global\n    log stdout  # note\n\nbackend b\n    balance roundrobin\n"
    assert _haproxy_sections(text) == {"global": [["log", "stdout"]], "backend b": [["balance", "roundrobin"]]}


def test_api_scales_behind_the_proxy(compose: dict[str, Any]) -> None:
    """`--scale api=N`: no replica publishes a host port; the proxy publishes the API's port and
    balances over every replica that Docker's DNS returns for `api`."""
    services = compose["services"]
    api_port = compose["x-quadra-env"]["QUADRA_API_PORT"]
    api = services["api"]
    assert "container_name" not in api
    assert _published_host_ports(api) == []

    proxy = services["proxy"]
    assert proxy["image"].startswith("haproxy:") and not proxy["image"].endswith(":latest")
    assert _published_host_ports(proxy) == [api_port]
    assert "api" in (proxy.get("depends_on") or {})

    config = _proxy_config(compose)
    (frontend,) = [name for name in config if name.startswith("frontend ")]
    binds = [words[1] for words in _lines(config[frontend], "bind")]
    assert binds == [f":{api_port}"]
    backends = {words[1] for words in _lines(config[frontend], "default_backend")}
    backends |= {words[1] for words in _lines(config[frontend], "use_backend")}
    assert backends, "the frontend forwards to no backend"
    for backend in backends:
        servers = _lines(config[f"backend {backend}"], "server-template")
        assert servers, f"backend {backend}: a server-template finds the replicas as they come and go"
        for words in servers:
            count, address = int(words[2]), words[3]
            assert address == f"api:{api_port}", f"backend {backend} forwards to {address}"
            assert count >= 2
            resolvers = config[f"resolvers {words[words.index('resolvers') + 1]}"]
            assert ["nameserver", "docker", "127.0.0.11:53"] in resolvers  # Docker's embedded DNS
            assert "check" in words and words[words.index("init-addr") + 1] == "none"


def test_proxy_hands_the_client_address_to_the_api(compose: dict[str, Any]) -> None:
    """IP allowlists and failed-auth limits read the client address (api/deps.py)."""
    frontend = next(lines for name, lines in _proxy_config(compose).items() if name.startswith("frontend "))
    dropped = frontend.index(["http-request", "del-header", "X-Forwarded-For"])  # a client's own is not trusted
    assert ["option", "forwardfor"] in frontend[dropped:]
    assert _env(compose["services"]["api"]).get("FORWARDED_ALLOW_IPS"), "uvicorn would ignore the header"


def test_staff_pages_stick_to_one_api_replica(compose: dict[str, Any]) -> None:
    """Export jobs live in the memory of the replica that started them (api/staff/export_jobs.py)."""
    from api.staff.router import router as staff_router
    from dashboards.app import PREFIX as ADMIN_PREFIX

    config = _proxy_config(compose)
    frontend = next(lines for name, lines in config.items() if name.startswith("frontend "))
    for path in (ADMIN_PREFIX, staff_router.prefix):
        routed = [
            words[1] for words in _lines(frontend, "use_backend")
            if words[3:5] == ["{", "path_beg"] and any(path.startswith(p) for p in words[5:-1])
        ]  # fmt: skip
        assert len(routed) == 1, f"{path} is not routed to a backend of its own"
        backend = config[f"backend {routed[0]}"]
        (cookie,) = _lines(backend, "cookie")
        assert "insert" in cookie and "dynamic" in cookie, "replicas found by DNS need dynamic cookies"
        assert _lines(backend, "dynamic-cookie-key")


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed here")
def test_haproxy_accepts_the_config(compose: dict[str, Any]) -> None:
    source = ROOT / _mounts(compose["services"]["proxy"])[HAPROXY_CONFIG]
    checked = subprocess.run(["haproxy", "-c", "-f", str(source)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_dockerfile_runs_quadra_as_non_root() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert "uv sync --frozen --no-dev --no-install-project" in text
    assert re.search(r'^ENTRYPOINT \["quadra"\]', text, re.M)
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"var/", ".venv/", ".git/"} <= set(ignored)


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path → host path of the bind mounts (./… sources)."""
    found = {}
    for volume in service.get("volumes") or []:
        source, target = str(volume).split(":")[:2]
        if source.startswith("./"):
            found[target] = source
    return found


def test_grafana_provisions_the_clickhouse_source_and_the_generated_dashboards(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    assert grafana["image"].startswith("grafana/grafana:") and not grafana["image"].endswith(":latest")
    assert "grafana-clickhouse-datasource" in _env(grafana).get("GF_PLUGINS_PREINSTALL_SYNC", "")
    mounts = _mounts(grafana)
    provisioning = ROOT / mounts["/etc/grafana/provisioning"]
    assert (provisioning / "datasources").is_dir() and (provisioning / "dashboards").is_dir()
    providers = yaml.safe_load((provisioning / "dashboards" / "quadra.yaml").read_text(encoding="utf-8"))
    (provider,) = providers["providers"]
    dashboards_dir = ROOT / mounts[provider["options"]["path"]]  # the provider reads the mounted directory
    assert sorted(p.name for p in dashboards_dir.glob("*.json")) == ["quadra-risk.json"]

    sources = yaml.safe_load((provisioning / "datasources" / "clickhouse.yaml").read_text(encoding="utf-8"))
    (source,) = sources["datasources"]
    clickhouse = _env(compose["services"]["clickhouse"])
    assert source["jsonData"]["host"] == "clickhouse" and source["jsonData"]["port"] == 8123
    assert source["jsonData"]["protocol"] == "http" and source["jsonData"]["defaultDatabase"] == clickhouse["CLICKHOUSE_DB"]
    assert source["jsonData"]["username"] == clickhouse["CLICKHOUSE_USER"]
    assert source["secureJsonData"]["password"] == clickhouse["CLICKHOUSE_PASSWORD"]
    assert grafana["depends_on"]["clickhouse"]["condition"] == "service_healthy"
    assert grafana["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "3000" in _published_host_ports(grafana)
    volume = [str(v).split(":")[0] for v in grafana["volumes"] if not str(v).startswith("./")]
    assert volume and set(volume) <= set(compose.get("volumes") or {}), "Grafana's state should be a named volume"
