"""One `quadra up` shared by the partner-API end-to-end tests (guide examples, the client, the
example applications, batches, schemathesis): starting one costs ~10 s, so the session starts it
once. Tests that share it use their own idempotency keys, end users and external ids, and
measure balances as differences over their own orders, never as absolute figures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from quadra.local_kafka import LocalKafka, LocalKafkaConfig
from quadra.settings import Settings
from tests.conftest import REPO, free_port
from tests.e2e.quadra_process import QuadraProcess


@pytest.fixture(scope="session")
def partner_stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[QuadraProcess]:
    """A running `quadra up` (real broker, embedded ClickHouse, provider sandbox) with the demo
    company `cmp_demo` and its test key `partner_stack.key`. Do not stop or kill it."""
    q = QuadraProcess(tmp_path_factory.mktemp("partner-stack") / "var", free_port(), kafka_bootstrap, "partner.")
    try:
        q.start()  # inside the try: a start that times out must not leave quadra up running
        yield q
    finally:
        if q.proc is not None and q.proc.poll() is None:
            q.terminate()


@contextmanager
def broker_at(home: Path) -> Iterator[LocalKafka]:
    """A running broker of its own under `home` (free ports, the session's jars), stopped after."""
    version = Settings.model_fields["local_kafka_version"].default
    broker = LocalKafka(LocalKafkaConfig(
        home=home, port=free_port(), controller_port=free_port(), version=version,
        libs_dir=REPO / "var" / "kafka" / f"libs-{version}"))  # fmt: skip
    broker.ensure_jars()
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalKafka]:
    """A broker of the test's own, for tests that stop or restart it (the session's must not)."""
    with broker_at(tmp_path / "kafka") as broker:
        yield broker
