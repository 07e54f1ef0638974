"""The one typed settings object, read from `QUADRA_*` environment variables and `.env`.

Validated once at start-up; everything else receives the object (or parts of it) as an
argument, so nothing reads the environment behind the caller's back.
"""

from __future__ import annotations

import base64
import enum
import socket
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development-only secrets. `quadra` refuses to start in live mode while any of these is in use.
DEV_CARD_KEYS = "dev1:" + base64.b64encode(b"quadra-dev-card-key-32-bytes!!!!").decode()
DEV_TOKEN_KEY = "quadra-dev-token-key"
DEV_SESSION_SECRET = "quadra-dev-session-secret"
DEV_PROVIDERS_TOKEN = "sandbox-quadra"  # what the provider sandbox accepts
# HMAC keys (staff sessions, card tokens) shorter than this are refused in live mode: 32
# characters of a random secret are at least the 128 bits HMAC-SHA256 should be keyed with.
MIN_LIVE_SECRET_CHARS = 32


class Environment(str, enum.Enum):
    """`local` runs with development secrets; `live` demands real ones."""

    LOCAL = "local"
    LIVE = "live"


class PayoutsMode(str, enum.Enum):
    SETTLEMENT = "settlement"
    PROVIDERS = "providers"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="QUADRA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Environment = Environment.LOCAL
    data_dir: Path = Path("var")

    # Kafka. Unset bootstrap means: start the local single-node broker under <data_dir>/kafka.
    kafka_bootstrap: str | None = None
    kafka_partitions: int = Field(4, ge=1, le=256)
    kafka_replication: int = Field(1, ge=1, le=5)
    topic_prefix: str = Field("", pattern=r"^[A-Za-z0-9._-]*$", max_length=40)
    local_kafka_port: int = Field(19092, ge=1024, le=65535)
    local_kafka_controller_port: int = Field(19093, ge=1024, le=65535)
    local_kafka_version: str = Field("4.1.1", pattern=r"^4\.\d+\.\d+$")

    # ClickHouse. Unset DSN means the embedded engine at chdb:///<data_dir>/clickhouse.
    clickhouse_dsn: SecretStr | None = None
    clickhouse_database: str = Field("quadra", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    # HTTP API.
    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=0, le=65535)
    max_body_bytes: int = Field(64 * 1024, ge=1024, le=64 * 1024 * 1024)
    # POST /v1/batches only: up to 10,000 lines of CSV or JSON, submitted this many at a time.
    # Intake commits a transaction per poll of up to 500 requests: twice that in flight keeps
    # its next poll full while one commits (200 in flight admitted a quarter as many lines/s).
    max_batch_bytes: int = Field(4 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    batch_in_flight: int = Field(1000, ge=1, le=5000)
    intake_reply_timeout_s: float = Field(8.0, gt=0, le=60)
    max_prefer_wait_s: float = Field(10.0, gt=0, le=60)
    # How long an answer waits for the broker to take its request-log record (and key-use audit
    # event) before they go to the fsynced spool under <data_dir>/outbox instead, replayed once
    # the broker is back (streams/outbox.py): bounds a 503 during a broker outage.
    request_log_wait_s: float = Field(2.0, gt=0, le=60)
    outbox_max_bytes: int = Field(256 * 1024 * 1024, ge=1024 * 1024)
    # Partner rate limits, per API node (api/rate_limit.py says why per node is enough): each
    # key gets rate_limit_per_s requests a second with bursts of rate_limit_burst; failed
    # authentications from one client network are counted the same way.
    rate_limit_per_s: float = Field(100.0, gt=0, le=1e9)
    rate_limit_burst: int = Field(200, ge=1, le=10**9)
    rate_limit_failed_auth_per_s: float = Field(10.0, gt=0, le=1e9)
    rate_limit_failed_auth_burst: int = Field(100, ge=1, le=10**9)

    # Workers: a stable id per worker process (it names the ledger's Kafka transactions, so a
    # restarted worker fences its dead predecessor); defaults to the host name.
    worker_id: str = Field(default_factory=socket.gethostname, pattern=r"^[A-Za-z0-9._-]{1,64}$")
    # Payouts: "providers" (dispatch over HTTP to the providers at providers_url; `quadra up`
    # then also serves the provider sandbox on sandbox_port) or "settlement", an in-process
    # stand-in that settles without any HTTP (for ledger benchmarks), failing this share 0..1.
    payouts: PayoutsMode = PayoutsMode.PROVIDERS
    settlement_failure_share: float = Field(0.0, ge=0.0, le=1.0)
    providers_url: str = Field("http://127.0.0.1:8090", pattern=r"^https?://[^\s]+$")
    providers_token: SecretStr = SecretStr(DEV_PROVIDERS_TOKEN)
    sandbox_port: int = Field(8090, ge=0, le=65535)
    # false: `quadra up` serves no sandbox of its own and dispatches to providers_url like a
    # `quadra worker` does. For a sandbox that must outlive `quadra up` (its payout counts are
    # in memory): bench.soak kills `quadra up` and checks afterwards that nothing was paid twice.
    sandbox_embedded: bool = True
    # HTTP connections dispatch keeps to the providers (all kept alive). Few is cheaper:
    # httpcore checks every pooled connection on every request, and more than it keeps alive
    # were closed and reopened. Enough for calls/s × the providers' latency (10 at 5 ms: 2,000
    # calls/s); raise it for slow remote providers (bench.pipeline.payout_cost measures).
    provider_connections: int = Field(10, ge=1, le=1000)

    # Sink batching: flush when either bound is reached. Under load a batch is 50,000 messages:
    # each insert costs ClickHouse a part to write and merge, and 10,000-message batches took
    # about 1.5× the CPU per message (bench/sink_throughput.py); at low rates the interval
    # flushes first, so nothing waits longer. A flush has a fixed cost too: a few small
    # inserts per route (each a part, plus the materialized views of `orders`), and for a
    # `from_json` route ClickHouse's analysis of its SQL (~85 ms for orders.events), which
    # batches under `sink_json_min_messages` skip by taking the decode path:
    # ~50 ms instead of ~140 ms a flush of up to a few hundred order events
    # (bench/pipeline/sink_flush.py, docs/performance.md).
    sink_batch_rows: int = Field(50_000, ge=1, le=1_000_000)
    sink_flush_interval_s: float = Field(0.5, gt=0, le=60)
    # The request log's own sink (quadra.sink_routes LOG_TOPICS: a consumer group of its own)
    # flushes less often: a row per HTTP exchange, and each insert of a few rows leaves a part
    # that ClickHouse merges into the newest one (under 1 MiB it merges eagerly): ~180 ms of
    # CPU per back-office page view when every view was its own insert (bench/README.md,
    # session 25).
    sink_log_flush_interval_s: float = Field(2.0, gt=0, le=60)
    sink_json_min_messages: int = Field(500, ge=0, le=1_000_000)
    # Daily rollups (the sink process refreshes them): how often dirty days are recomputed,
    # and how long a day must have received nothing before it is (a day still receiving rows,
    # like today, is read live by reports instead of being recomputed over and over).
    rollup_refresh_interval_s: float = Field(30.0, gt=0, le=3600)
    rollup_quiet_s: float = Field(60.0, ge=0, le=86_400)
    # Connections the risk dashboard reads its panels on at once (analytics/read_lanes.py), and
    # the order detail its sources, besides the process's own; 1: one after another. Three on
    # two cores: a 30-day render of every company on the 10 M bench data took ~155-160 ms on 3,
    # ~165-195 on 2 and ~165-175 on 4 (session 26): one lane's Python (binding, decoding) overlaps
    # the others' ClickHouse work.
    dashboard_read_lanes: int = Field(3, ge=1, le=8)

    # Fraud: the model directory the intake scores with (written by `quadra train`; re-read
    # when its manifest changes, checked every fraud_model_poll_s; unset or empty: rules and
    # lists only), and how old an order must be before its label counts in the features.
    fraud_model_dir: Path | None = None
    fraud_model_poll_s: float = Field(10.0, gt=0, le=3600)
    fraud_label_delay_s: int = Field(7 * 86_400, ge=0, le=90 * 86_400)
    # Until staff publish a rule set, the built-in payout rules are in force; false: none
    # (for benchmarks of the money path, whose synthetic traffic trips velocity rules).
    fraud_builtin_rules: bool = True
    # The cross-company pattern detectors (where the sink runs): how often, and whether sandbox
    # orders count (they do not in live use; the local demo has only sandbox orders).
    fraud_patterns_interval_s: float = Field(300.0, gt=0, le=86_400)
    fraud_patterns_sandbox: bool = False

    # Card data protection (AES-GCM keys "kid:base64key", comma separated, first one encrypts).
    card_keys: SecretStr = SecretStr(DEV_CARD_KEYS)
    card_token_key: SecretStr = SecretStr(DEV_TOKEN_KEY)

    # Staff sign-in: sessions signed with this secret (HMAC-SHA256), lockout after failures.
    session_secret: SecretStr = SecretStr(DEV_SESSION_SECRET)
    staff_session_ttl_minutes: int = Field(8 * 60, ge=5, le=7 * 24 * 60)
    staff_max_failed_logins: int = Field(5, ge=1, le=100)
    staff_lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    # How long staff API calls wait for the registry or staff agent to confirm a change.
    staff_command_timeout_s: float = Field(5.0, gt=0, le=60)

    # Sandbox company seeded by `quadra up` for the demo.
    seed_demo_company: bool = True

    @field_validator("card_keys")
    @classmethod
    def _card_keys_parse(cls, value: SecretStr) -> SecretStr:
        parse_card_keys(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _live_needs_real_secrets(self) -> Settings:
        if self.environment is Environment.LIVE:
            weak = development_secrets_in_use(self)
            if weak:
                raise ValueError("live mode refuses development or weak secrets; set " + ", ".join(weak))
        return self

    @property
    def clickhouse_url(self) -> str:
        if self.clickhouse_dsn is not None:
            return self.clickhouse_dsn.get_secret_value()
        return f"chdb:///{(self.data_dir / 'clickhouse').resolve()}"

    @property
    def clickhouse_embedded(self) -> bool:
        return self.clickhouse_url.startswith("chdb:")

    @property
    def local_kafka_home(self) -> Path:
        return self.data_dir / "kafka"


def development_secrets_in_use(settings: Settings) -> list[str]:
    """The variables whose values live mode must not run with: the published development
    defaults, a development card key anywhere in the key list (even as a decrypt-only key, it
    would let anyone who read this file forge or open card data), and HMAC keys too short."""
    weak = []
    dev_card_keys = set(parse_card_keys(DEV_CARD_KEYS).values())
    if dev_card_keys & set(parse_card_keys(settings.card_keys.get_secret_value()).values()):
        weak.append("QUADRA_CARD_KEYS (no development key)")
    token_key = settings.card_token_key.get_secret_value()
    if token_key == DEV_TOKEN_KEY or len(token_key) < MIN_LIVE_SECRET_CHARS:
        weak.append(f"QUADRA_CARD_TOKEN_KEY ({MIN_LIVE_SECRET_CHARS}+ characters)")
    session_secret = settings.session_secret.get_secret_value()
    if session_secret == DEV_SESSION_SECRET or len(session_secret) < MIN_LIVE_SECRET_CHARS:
        weak.append(f"QUADRA_SESSION_SECRET ({MIN_LIVE_SECRET_CHARS}+ characters)")
    providers_token = settings.providers_token.get_secret_value()
    if settings.payouts is PayoutsMode.PROVIDERS and providers_token == DEV_PROVIDERS_TOKEN:
        weak.append("QUADRA_PROVIDERS_TOKEN (not the sandbox's)")
    return weak


def parse_card_keys(raw: str) -> dict[str, bytes]:
    """`kid:base64,kid:base64` → {kid: key}; each key must be 16, 24 or 32 bytes (AES)."""
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        kid, sep, encoded = part.partition(":")
        if not sep or not kid:
            raise ValueError("card key entries look like kid:base64key")
        key = base64.b64decode(encoded, validate=True)
        if len(key) not in (16, 24, 32):
            raise ValueError(f"card key {kid!r} must be 16, 24 or 32 bytes")
        keys[kid] = key
    if not keys:
        raise ValueError("at least one card key is required")
    return keys
