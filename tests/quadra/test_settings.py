from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from quadra.runtime import Role, RoleLayoutError, check_role_layout, serves_sandbox
from quadra.settings import Settings



def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults_are_embedded_and_local(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QUADRA_CLICKHOUSE_DSN", "QUADRA_KAFKA_BOOTSTRAP"):
        monkeypatch.delenv(name, raising=False)
    s = _settings(data_dir="/tmp/q")
    assert s.clickhouse_embedded and s.clickhouse_url == "chdb:////tmp/q/clickhouse"
    assert s.kafka_bootstrap is None


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUADRA_KAFKA_PARTITIONS", "8")
    monkeypatch.setenv("QUADRA_CLICKHOUSE_DSN", "http://u:p@ch:8123/quadra")
    s = _settings()
    assert s.kafka_partitions == 8 and not s.clickhouse_embedded


def test_rate_limits_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUADRA_RATE_LIMIT_PER_S", "5.5")
    monkeypatch.setenv("QUADRA_RATE_LIMIT_BURST", "11")
    s = _settings()
    assert (s.rate_limit_per_s, s.rate_limit_burst) == (5.5, 11)
    assert (s.rate_limit_failed_auth_per_s, s.rate_limit_failed_auth_burst) == (10.0, 100)


def test_provider_connections_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _settings().provider_connections == 10
    monkeypatch.setenv("QUADRA_PROVIDER_CONNECTIONS", "64")
    assert _settings().provider_connections == 64


@pytest.mark.parametrize(
    "values",
    [
        {"kafka_partitions": 0},
        {"api_port": 70000},
        {"topic_prefix": "bad prefix!"},
        {"clickhouse_database": "drop table;"},
        {"card_keys": "nokey"},
        {"card_keys": "k1:" + base64.b64encode(b"short").decode()},
        {"card_keys": "k1:not-base64!!"},
        {"rate_limit_per_s": 0},
        {"rate_limit_burst": 0},
        {"rate_limit_failed_auth_per_s": -1},
        {"provider_connections": 0},
        {"provider_connections": 100_000},
    ],
)
def test_invalid_settings_are_refused_at_start(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _settings(**values)


@pytest.mark.parametrize(
    ("dsn", "roles", "allowed"),
    [
        (None, {Role.API, Role.WORKER, Role.SINK}, True),
        (None, {Role.WORKER}, True),
        (None, {Role.API}, False),
        (None, {Role.SINK}, False),
        ("http://u:p@ch:8123/q", {Role.API}, True),
        ("http://u:p@ch:8123/q", {Role.SINK}, True),
    ],
)
def test_embedded_clickhouse_needs_api_and_sink_in_one_process(
    dsn: str | None, roles: set[Role], allowed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUADRA_CLICKHOUSE_DSN", raising=False)
    settings = _settings(clickhouse_dsn=dsn)
    if allowed:
        check_role_layout(settings, frozenset(roles))
    else:
        with pytest.raises(RoleLayoutError, match="quadra up"):
            check_role_layout(settings, frozenset(roles))


@pytest.mark.parametrize(
    ("values", "roles", "serves"),
    [
        ({}, set(Role), True),
        ({}, {Role.WORKER}, False),
        ({"payouts": "settlement"}, set(Role), False),
        ({"sandbox_embedded": False}, set(Role), False),  # bench.soak: a sandbox outliving `quadra up`
    ],
)
def test_only_quadra_up_with_providers_serves_the_sandbox_unless_told_not_to(
    values: dict[str, object], roles: set[Role], serves: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUADRA_SANDBOX_EMBEDDED", raising=False)
    assert serves_sandbox(_settings(**values), frozenset(roles)) is serves


def test_the_embedded_sandbox_is_switched_off_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUADRA_SANDBOX_EMBEDDED", "false")
    assert _settings().sandbox_embedded is False
