"""The single-node Apache Kafka (KRaft) broker `quadra` runs itself when QUADRA_KAFKA_BOOTSTRAP is
unset: jars fetched once from Maven Central (infra/kafka/pom.xml), storage formatted once, and the
broker detached so it outlives the command that started it; everything under one home directory.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quadra.settings import Settings

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parents[1]
JAVA_HINT = "Java 17+ is required: install openjdk-17-jre-headless"


class KafkaSetupError(Exception):
    """The local broker cannot be set up or started; the message says why and what to do."""


@dataclass(frozen=True)
class LocalKafkaConfig:
    home: Path
    port: int = 19092
    controller_port: int = 19093
    version: str = "4.1.1"
    heap: str = "512m"
    repo_root: Path = REPO_ROOT  # where infra/kafka/pom.xml lives
    libs_dir: Path | None = None  # jar cache; None means <home>/libs-<version>


@dataclass(frozen=True)
class KafkaStatus:
    running: bool
    pid: int | None
    bootstrap: str
    home: Path
    log_path: Path


def local_kafka_from_settings(settings: Settings) -> LocalKafka:
    config = LocalKafkaConfig(home=settings.local_kafka_home, port=settings.local_kafka_port,
                              controller_port=settings.local_kafka_controller_port,
                              version=settings.local_kafka_version)  # fmt: skip
    return LocalKafka(config)


class LocalKafka:
    def __init__(self, config: LocalKafkaConfig) -> None:
        self.config = config
        # Absolute, because the broker runs with its own working directory.
        self.home = config.home.resolve()
        self.libs_dir = (config.libs_dir or self.home / f"libs-{config.version}").resolve()
        self.properties_path = self.home / "server.properties"
        self.log4j_path = self.home / "log4j2.properties"
        self.pid_path = self.home / "kafka.pid"
        self.data_dir = self.home / "data"
        self.log_path = self.home / "logs" / "server.log"
        self.stdout_path = self.home / "logs" / "stdout.log"

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.config.port}"

    @property
    def jars_cached(self) -> bool:
        """False means the next start first downloads the broker (~45 MB, up to a minute)."""
        return (self.libs_dir / ".complete").exists()

    def status(self) -> KafkaStatus:
        pid = self._running_pid()
        return KafkaStatus(pid is not None, pid, self.bootstrap, self.home, self.log_path)

    def ensure_jars(self) -> None:
        """Download the broker classpath unless a previous download completed (stamp file)."""
        if self.jars_cached:
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise KafkaSetupError(
                "Maven is required once to fetch the Kafka broker: install maven, "
                "or set QUADRA_KAFKA_BOOTSTRAP to an existing Kafka cluster"
            )
        self.libs_dir.parent.mkdir(parents=True, exist_ok=True)
        # Several processes (a test session, `quadra up`) may share one jar cache.
        with open(self.libs_dir.parent / f".{self.libs_dir.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.jars_cached:
                return  # another process just finished the download
            # No stamp: whatever is there is a half-finished download, so start clean.
            shutil.rmtree(self.libs_dir, ignore_errors=True)
            pom = self.config.repo_root / "infra" / "kafka" / "pom.xml"
            command = [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
                       f"-DoutputDirectory={self.libs_dir}", "-DincludeScope=runtime",
                       f"-Dkafka.version={self.config.version}"]  # fmt: skip
            _run(command, f"fetching Kafka {self.config.version} with Maven", self.libs_dir.parent,
                 timeout=900)
            (self.libs_dir / ".complete").touch()

    def start(self, timeout: float = 90) -> bool:
        """Start the broker and wait until it serves clients; False if it was already running."""
        pid = self._running_pid()
        if pid is not None:
            self._wait_until_healthy(pid, timeout)
            return False
        java = _require_java()
        self.ensure_jars()
        _require_free_ports(self.config.port, self.config.controller_port)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.properties_path.write_text(self.server_properties())
        self.log4j_path.write_text(LOG4J_PROPERTIES.format(log=self.log_path))
        self._format_storage_once(java)
        pid = self._launch(java)
        try:
            self._wait_until_healthy(pid, timeout)
        except KafkaSetupError:
            self.stop(timeout=10)  # a broker that never came up must not linger
            raise
        return True

    def stop(self, timeout: float = 30) -> bool:
        """SIGTERM the broker's process group, SIGKILL after `timeout`; False if not running."""
        pid = self._running_pid()
        if pid is not None:
            _signal_group(pid, signal.SIGTERM)
            if not self._wait_for_exit(pid, timeout):
                _signal_group(pid, signal.SIGKILL)
                self._wait_for_exit(pid, 10)
        self.pid_path.unlink(missing_ok=True)  # also drops a stale one
        return pid is not None

    def server_properties(self) -> str:
        return SERVER_PROPERTIES.format(host=HOST, port=self.config.port,
                                        controller=self.config.controller_port,
                                        data=self.data_dir)  # fmt: skip

    def _running_pid(self) -> int | None:
        """The pid in the pid file if it is still this home's broker (not gone, not reused)."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        command_line = _command_line(pid)
        ours = "kafka.Kafka" in command_line and str(self.properties_path) in command_line
        return pid if ours else None

    def _wait_for_exit(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self._running_pid() == pid:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def _java_command(self, java: str, main_class: str, *args: str) -> list[str]:
        return [java, f"-Xmx{self.config.heap}", "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={self.log4j_path}",
                "-cp", str(self.libs_dir / "*"), main_class, *args]  # fmt: skip

    def _format_storage_once(self, java: str) -> None:
        if (self.data_dir / "meta.properties").exists():
            return
        id_path = self.home / "cluster.id"
        if not id_path.exists():
            id_path.write_text(_new_cluster_id() + "\n")
        command = self._java_command(java, "kafka.tools.StorageTool", "format", "--standalone",
                                     "-g", "-t", id_path.read_text().strip(),
                                     "-c", str(self.properties_path))  # fmt: skip
        _run(command, f"formatting Kafka storage in {self.data_dir} (log: {self.log_path})",
             self.home)

    def _launch(self, java: str) -> int:
        """Start the broker fully detached and record its pid."""
        command = self._java_command(java, "kafka.Kafka", str(self.properties_path))
        # `sh` backgrounds the JVM and exits at once, so the broker is re-parented to init:
        # no zombie and no "subprocess still running" warning in the process that started it.
        script = 'log="$1"; shift; "$@" </dev/null >>"$log" 2>&1 & echo $!'
        done = subprocess.run(["/bin/sh", "-c", script, "sh", str(self.stdout_path), *command],
                              capture_output=True, text=True, cwd=self.home,
                              start_new_session=True, check=True)  # fmt: skip
        pid = int(done.stdout.strip())
        self.pid_path.write_text(f"{pid}\n")
        return pid

    def _wait_until_healthy(self, pid: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not _broker_answers(HOST, self.config.port):
            if self._running_pid() != pid:
                raise KafkaSetupError(f"the Kafka broker exited during start-up\n{self._logs()}")
            if time.monotonic() > deadline:
                raise KafkaSetupError(
                    f"the Kafka broker (pid {pid}) did not answer on {self.bootstrap} "
                    f"within {timeout:.0f} s\n{self._logs()}"
                )
            time.sleep(0.25)

    def _logs(self) -> str:
        """The ends of the broker log and of the JVM's own output, for error messages."""
        tails = [f"--- end of {path} ---\n{_tail(path.read_text(errors='replace'), lines)}"
                 for path, lines in ((self.log_path, 30), (self.stdout_path, 10))
                 if path.exists() and path.stat().st_size]  # fmt: skip
        return "\n".join(tails) or f"(no broker output yet; log: {self.log_path})"


def _require_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise KafkaSetupError(f"java was not found on PATH. {JAVA_HINT}")
    done = subprocess.run([java, "-version"], capture_output=True, text=True)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if match is None:
        raise KafkaSetupError(f"could not tell which Java {java} is. {JAVA_HINT}")
    major = int(match[1]) if match[1] != "1" else int(match[2] or 0)  # "1.8.0" is Java 8
    if major < 17:
        raise KafkaSetupError(f"{java} is Java {major}. {JAVA_HINT}")
    return java


def _require_free_ports(*ports: int) -> None:
    # Else a foreign broker on our port would answer the health check while ours fails to bind.
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                raise KafkaSetupError(
                    f"{HOST}:{port} is in use by another process; stop it or pick other ports "
                    "(QUADRA_LOCAL_KAFKA_PORT, QUADRA_LOCAL_KAFKA_CONTROLLER_PORT)"
                )


def _broker_answers(host: str, port: int) -> bool:
    """True once the broker answers a Metadata request listing itself as a live broker. An open
    port proves nothing: Kafka binds before it serves, and lists itself only once unfenced (ready
    for clients). Metadata v4 is the oldest version Kafka 4 accepts; its encoding is simple."""
    correlation_id, client_id = 7, b"quadra-health"
    header = struct.pack(">hhih", 3, 4, correlation_id, len(client_id)) + client_id
    request = header + struct.pack(">i?", 0, False)  # no topics, no auto-creation
    try:
        with socket.create_connection((host, port), timeout=2) as conn:
            conn.sendall(struct.pack(">i", len(request)) + request)
            stream = conn.makefile("rb")
            (size,) = struct.unpack(">i", stream.read(4))
            answered_id, _throttle_ms, broker_count = struct.unpack(">iii", stream.read(size)[:12])
    except (OSError, struct.error):
        return False
    return bool(answered_id == correlation_id and broker_count > 0)


def _command_line(pid: int) -> str:
    """The process's command line; '' if it is gone or a zombie."""
    if not Path("/proc/self").exists():  # macOS
        done = subprocess.run(["ps", "-p", str(pid), "-o", "command="], capture_output=True)
        return done.stdout.decode(errors="replace")
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, UnicodeDecodeError):
        return ""


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        group = os.getpgid(pid)
        # The broker leads its own session; never signal the caller's own group by accident.
        os.killpg(group, sig) if group != os.getpgrp() else os.kill(pid, sig)


def _new_cluster_id() -> str:
    """A Kafka Uuid: 16 random bytes in URL-safe base64 without padding. A clear top bit keeps
    it from starting with '-', which Kafka avoids because it reads like a command-line option."""
    raw = bytes([os.urandom(1)[0] & 0x7F]) + os.urandom(15)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _run(command: list[str], what: str, cwd: Path, timeout: float = 120) -> None:
    """Run a set-up step in `cwd`; if it fails, raise with the end of its output."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise KafkaSetupError(f"{what} did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        output = _tail(done.stdout + done.stderr, 20)
        raise KafkaSetupError(f"{what} failed (exit {done.returncode}):\n{output}")


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


SERVER_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers={host}:{controller}
listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller}
advertised.listeners=PLAINTEXT://{host}:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs={data}
num.partitions=4
# One node: every internal topic has exactly one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# A consumer joining a group starts at once instead of waiting for more members.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
# faust changelog topics are compacted.
log.cleaner.enable=true
"""

# Kafka logs its own shutdown from a JVM hook, so log4j must not stop first (shutdownHook).
LOG4J_PROPERTIES = """\
status = warn
shutdownHook = disable
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = {log}
appender.file.filePattern = {log}.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policy.type = SizeBasedTriggeringPolicy
appender.file.policy.size = 50MB
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
"""
