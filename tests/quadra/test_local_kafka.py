"""The local Kafka manager against the real broker, on ports of its own (29192/29193) so it never
meets a broker the developer runs on the defaults. Jars come from the shared cache
<repo>/var/kafka/libs-<version>; the first run ever fills it with Maven (~40 s).
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from quadra.local_kafka import (
    REPO_ROOT,
    KafkaSetupError,
    KafkaStatus,
    LocalKafka,
    LocalKafkaConfig,
)

pytestmark = pytest.mark.kafka

PORT, CONTROLLER_PORT = 29192, 29193
VERSION = LocalKafkaConfig(home=Path()).version
SHARED_LIBS = REPO_ROOT / "var" / "kafka" / f"libs-{VERSION}"


def local_kafka(home: Path, libs_dir: Path = SHARED_LIBS) -> LocalKafka:
    config = LocalKafkaConfig(
        home=home, port=PORT, controller_port=CONTROLLER_PORT, libs_dir=libs_dir
    )
    return LocalKafka(config)


def write_script(bin_dir: Path, name: str, body: str) -> None:
    """A stand-in executable on PATH (a fake `java` or `mvn`)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / name
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.mark.timeout(240)  # includes the one-time jar download on a fresh checkout
def test_start_serves_clients_survives_restart_and_stops(tmp_path: Path) -> None:
    kafka = local_kafka(tmp_path / "kafka")
    kafka.home.mkdir(parents=True)
    kafka.pid_path.write_text(f"{os.getpid()}\n")  # stale: a live process, but not Kafka
    topic, payload = f"quadra-test-{uuid.uuid4().hex[:8]}", b"hello, kafka"
    try:
        assert kafka.start(timeout=90) is True
        state = kafka.status()
        assert state.running and state.pid is not None and state.pid != os.getpid()
        assert state.bootstrap == f"127.0.0.1:{PORT}"
        assert kafka.start() is False  # already running: nothing new is started
        assert kafka.status().pid == state.pid

        asyncio.run(produce_in_transaction(kafka.bootstrap, topic, payload))
        assert asyncio.run(consume_first(kafka.bootstrap, topic)) == payload

        # Restart: storage is not formatted again, and the message is still there.
        assert kafka.stop() is True
        assert kafka.start(timeout=90) is True
        assert asyncio.run(consume_first(kafka.bootstrap, topic)) == payload
        assert "Kafka Server started" in kafka.log_path.read_text()
    finally:
        stopped = kafka.stop()
    assert stopped is True
    assert kafka.status().running is False
    assert not kafka.pid_path.exists()
    assert kafka.stop() is False


async def produce_in_transaction(bootstrap: str, topic: str, payload: bytes) -> None:
    # A transaction proves the single-node replication settings for internal topics work.
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, transactional_id="quadra-test")
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send_and_wait(topic, payload)
    finally:
        await producer.stop()


async def consume_first(bootstrap: str, topic: str) -> bytes | None:
    # A consumer group proves the offsets topic can be created on one node.
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"quadra-test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    value: bytes | None = record.value
    return value


def test_stale_pid_files_do_not_count_as_running(tmp_path: Path) -> None:
    kafka = local_kafka(tmp_path / "kafka")
    kafka.home.mkdir(parents=True)
    finished = subprocess.Popen(["true"])
    finished.wait()
    # Alive and mentioning kafka.Kafka, but not this home's broker (another home's, say).
    other_broker = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "kafka.Kafka", "server.properties"]
    )
    try:
        for stale in (str(finished.pid), str(os.getpid()), str(other_broker.pid), "garbage"):
            kafka.pid_path.write_text(stale + "\n")
            assert kafka.status() == KafkaStatus(
                running=False,
                pid=None,
                bootstrap=f"127.0.0.1:{PORT}",
                home=kafka.home,
                log_path=kafka.home / "logs" / "server.log",
            )
            assert kafka.stop() is False  # signals nothing
            assert not kafka.pid_path.exists()  # and drops the stale file
        assert other_broker.poll() is None
    finally:
        other_broker.kill()
        other_broker.wait()


def test_start_without_java_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    with pytest.raises(KafkaSetupError, match=r"Java 17\+ is required: install openjdk-17"):
        local_kafka(tmp_path / "kafka").start()


@pytest.mark.parametrize("version_line", ['openjdk version "11.0.22"', 'java version "1.8.0_392"'])
def test_start_with_old_java_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version_line: str
) -> None:
    write_script(tmp_path / "bin", "java", f"echo '{version_line} 2024-01-16' >&2\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(KafkaSetupError, match=r"is Java (11|8)\. Java 17\+ is required"):
        local_kafka(tmp_path / "kafka").start()


def test_start_refuses_a_port_taken_by_another_process(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", PORT))
        squatter.listen()
        with pytest.raises(KafkaSetupError, match=f"127.0.0.1:{PORT} is in use"):
            local_kafka(tmp_path / "kafka").start()


# Passes the version check and "formats" storage; what the broker then does is the test's choice.
FAKE_JAVA = """\
case "$*" in
  *-version*) echo 'openjdk version "17.0.9" 2023-10-17' >&2 ;;
  *StorageTool*) mkdir -p data && touch data/meta.properties ;;
  *) {broker} ;;
esac
"""


@pytest.mark.parametrize(
    ("broker", "expected"),
    [
        ("echo 'ERROR Exiting Kafka: bad config'; exit 1", "exited during start-up"),
        ("echo 'INFO stuck somewhere'; sleep 60", "did not answer on 127.0.0.1:29192 within 2 s"),
    ],
)
def test_broker_that_does_not_come_up_is_reported_with_its_log_and_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broker: str, expected: str
) -> None:
    write_script(tmp_path / "bin", "java", FAKE_JAVA.format(broker=broker))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / ".complete").touch()
    kafka = local_kafka(tmp_path / "kafka", libs_dir=libs)
    with pytest.raises(KafkaSetupError, match=expected) as raised:
        kafka.start(timeout=2)
    assert f"--- end of {kafka.stdout_path} ---" in str(raised.value)
    assert broker.split("'")[1] in str(raised.value)  # the broker's last words
    assert kafka.status().running is False
    assert not kafka.pid_path.exists()


FAKE_MVN = """\
echo "$@" >> "$(dirname "$0")/calls"
for arg in "$@"; do
  case "$arg" in -DoutputDirectory=*) out="${arg#-DoutputDirectory=}" ;; esac
done
mkdir -p "$out" && touch "$out/kafka_2.13-fake.jar"
"""


def test_half_finished_download_is_redone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_script(tmp_path / "bin", "mvn", FAKE_MVN)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    libs = tmp_path / "libs"
    libs.mkdir()
    (libs / "truncated.jar").write_bytes(b"PK")  # left by an interrupted download: no stamp
    kafka = local_kafka(tmp_path / "kafka", libs_dir=libs)
    assert kafka.jars_cached is False

    kafka.ensure_jars()
    assert sorted(p.name for p in libs.iterdir()) == [".complete", "kafka_2.13-fake.jar"]
    assert f"-Dkafka.version={VERSION}" in (tmp_path / "bin" / "calls").read_text()

    kafka.ensure_jars()  # complete now: Maven is not asked again
    assert len((tmp_path / "bin" / "calls").read_text().splitlines()) == 1


def test_maven_failure_shows_its_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_script(tmp_path / "bin", "mvn", "echo 'Could not resolve kafka_2.13:9.9.9'\nexit 1\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    kafka = local_kafka(tmp_path / "kafka", libs_dir=tmp_path / "libs")
    with pytest.raises(KafkaSetupError, match=r"(?s)Maven failed \(exit 1\).*Could not resolve"):
        kafka.ensure_jars()
    assert kafka.jars_cached is False


def test_missing_maven_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    kafka = local_kafka(tmp_path / "kafka", libs_dir=tmp_path / "libs")
    with pytest.raises(KafkaSetupError, match="Maven is required"):
        kafka.ensure_jars()


def test_server_properties_make_a_single_node_cluster(tmp_path: Path) -> None:
    lines = set(local_kafka(tmp_path / "kafka").server_properties().splitlines())
    assert {
        "process.roles=broker,controller",
        f"controller.quorum.bootstrap.servers=127.0.0.1:{CONTROLLER_PORT}",
        f"listeners=PLAINTEXT://127.0.0.1:{PORT},CONTROLLER://127.0.0.1:{CONTROLLER_PORT}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{PORT}",
        f"log.dirs={(tmp_path / 'kafka' / 'data').resolve()}",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
    } <= lines
