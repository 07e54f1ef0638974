"""The Kafka broker the bench uses: which one (and whether it may), creating and deleting topics."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.errors import BenchError

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
KAFKA_TIMEOUT_MS = 30_000
_TOPIC_EXISTS = 36  # Kafka error code TOPIC_ALREADY_EXISTS: fine, the topic is there


@dataclass
class Broker:
    bootstrap: str
    started_by_us: bool
    local: Any = None  # quadra.local_kafka.LocalKafka when we manage it

    async def stop_if_ours(self) -> None:
        if self.local is not None and self.started_by_us:
            await asyncio.to_thread(self.local.stop)


def _check_loopback(bootstrap: str, allow_remote: bool) -> None:
    for server in bootstrap.split(","):
        host = server.strip().rsplit(":", 1)[0]
        if host not in LOOPBACK_HOSTS and not allow_remote:
            raise BenchError(
                f"QUADRA_KAFKA_BOOTSTRAP={bootstrap} is not on this machine; the bench only talks "
                "to 127.0.0.1 (pass --allow-remote-broker to override)"
            )


@contextlib.asynccontextmanager
async def admin_client(
    bootstrap: str, request_timeout_ms: int = KAFKA_TIMEOUT_MS
) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=request_timeout_ms)
    await asyncio.wait_for(admin.start(), 30)
    try:
        yield admin
    finally:
        await admin.close()


async def _reachable(bootstrap: str) -> None:
    try:
        async with admin_client(bootstrap, request_timeout_ms=10_000):
            pass
    except Exception as exc:  # noqa: BLE001
        raise BenchError(f"cannot reach Kafka at {bootstrap}: {exc}") from None


async def open_broker(allow_remote: bool) -> Broker:
    bootstrap = os.environ.get("QUADRA_KAFKA_BOOTSTRAP", "").strip()
    if bootstrap:
        _check_loopback(bootstrap, allow_remote)
        await _reachable(bootstrap)
        return Broker(bootstrap, started_by_us=False)
    from quadra.local_kafka import KafkaSetupError, local_kafka_from_settings
    from quadra.settings import Settings

    local = local_kafka_from_settings(Settings())
    try:
        await asyncio.to_thread(local.ensure_jars)
        started = await asyncio.to_thread(local.start)
    except KafkaSetupError as exc:
        raise BenchError(f"local Kafka: {exc}") from exc
    return Broker(local.bootstrap, started_by_us=bool(started), local=local)


async def create_topics(bootstrap: str, topics: list[str], partitions: int) -> None:
    async with admin_client(bootstrap) as admin:
        response = await admin.create_topics(
            [NewTopic(t, partitions, 1) for t in topics], timeout_ms=KAFKA_TIMEOUT_MS
        )
        for topic, code, *_ in response.topic_errors:
            if code not in (0, _TOPIC_EXISTS):
                raise BenchError(f"creating {topic} failed with Kafka error {code}")


async def delete_topics_with_prefix(bootstrap: str, prefix: str) -> list[str]:
    async with admin_client(bootstrap) as admin:
        topics = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if topics:
            await admin.delete_topics(topics, timeout_ms=KAFKA_TIMEOUT_MS)
        return topics
