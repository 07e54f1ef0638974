"""Live mode refuses to start with development or weak secrets, and says which to set.

Every process command (`quadra up`, `api`, `worker`, `sink`, `migrate`, admin commands) loads
its settings through `load_settings`, which turns the refusal into exit code 2 and the message.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import typer
from pydantic import ValidationError

from quadra.cli_common import load_settings
from quadra.settings import DEV_CARD_KEYS, PayoutsMode, Settings

REAL_CARD_KEY = "k9:" + base64.b64encode(b"r" * 32).decode()
REAL = {
    "environment": "live",
    "card_keys": REAL_CARD_KEY,
    "card_token_key": "t" * 32,
    "session_secret": "s" * 32,
    "providers_token": "a-real-provider-token",
}


@pytest.fixture(autouse=True)
def _no_quadra_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test passes counts (and no .env file: see `_settings`)."""
    for name in ("ENVIRONMENT", "CARD_KEYS", "CARD_TOKEN_KEY", "SESSION_SECRET", "PROVIDERS_TOKEN", "PAYOUTS"):
        monkeypatch.delenv(f"QUADRA_{name}", raising=False)


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_live_mode_with_real_secrets_starts() -> None:
    assert _settings(**REAL).environment.value == "live"


@pytest.mark.parametrize(
    ("name", "value", "variable"),
    [
        ("card_keys", DEV_CARD_KEYS, "QUADRA_CARD_KEYS"),
        # the development key kept as a decrypt-only (second) key, or first with a real one after it
        ("card_keys", f"{REAL_CARD_KEY},{DEV_CARD_KEYS}", "QUADRA_CARD_KEYS"),
        ("card_keys", f"{DEV_CARD_KEYS.replace('dev1', 'renamed')},{REAL_CARD_KEY}", "QUADRA_CARD_KEYS"),
        ("card_token_key", "quadra-dev-token-key", "QUADRA_CARD_TOKEN_KEY"),
        ("card_token_key", "real-but-short", "QUADRA_CARD_TOKEN_KEY"),
        ("session_secret", "quadra-dev-session-secret", "QUADRA_SESSION_SECRET"),
        ("session_secret", "s" * 31, "QUADRA_SESSION_SECRET"),
        ("providers_token", "sandbox-quadra", "QUADRA_PROVIDERS_TOKEN"),
    ],
)
def test_live_mode_refuses_each_development_or_weak_secret(name: str, value: str, variable: str) -> None:
    with pytest.raises(ValidationError, match="live mode refuses") as refused:
        _settings(**{**REAL, name: value})
    assert variable in str(refused.value)


def test_all_defaults_are_named_at_once() -> None:
    with pytest.raises(ValidationError) as refused:
        _settings(environment="live")
    message = str(refused.value)
    for variable in ("QUADRA_CARD_KEYS", "QUADRA_CARD_TOKEN_KEY", "QUADRA_SESSION_SECRET", "QUADRA_PROVIDERS_TOKEN"):
        assert variable in message


def test_the_sandbox_token_is_fine_when_dispatch_calls_no_provider() -> None:
    settings = _settings(**{**REAL, "providers_token": "sandbox-quadra", "payouts": PayoutsMode.SETTLEMENT})
    assert settings.payouts is PayoutsMode.SETTLEMENT


def test_local_mode_runs_on_the_development_defaults() -> None:
    assert _settings().environment.value == "local"


def test_start_up_in_live_mode_with_defaults_exits_2_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("QUADRA_ENVIRONMENT", "live")
    monkeypatch.setenv("QUADRA_SESSION_SECRET", "a-short-session-secret")
    monkeypatch.setenv("QUADRA_CARD_TOKEN_KEY", "a-short-token-key")
    with pytest.raises(typer.Exit) as stopped:
        load_settings()
    assert stopped.value.exit_code == 2
    err = capsys.readouterr().err
    assert "live mode refuses development or weak secrets" in err and "QUADRA_SESSION_SECRET" in err
    # the operator learns which variables to set; the log never receives the values
    for secret in ("a-short-session-secret", "a-short-token-key", "quadra-dev-token-key", DEV_CARD_KEYS[5:]):
        assert secret not in err
