"""The sandbox demo company seeded by `quadra up`, with an API key kept in the data dir."""

from __future__ import annotations

import os
from pathlib import Path

from aiokafka import AIOKafkaProducer

from domain.companies import KeyMode, api_key_record, new_api_key
from streams.messages import encode_api_key

DEMO_COMPANY_ID = "cmp_demo"
DEMO_COMPANY_NAME = "Demo Rewards (sandbox)"


def demo_key(data_dir: Path) -> str:
    """The demo key, created once and reused, so restarts keep working with the same key."""
    path = data_dir / "demo-api-key"
    if path.exists():
        return path.read_text().strip()
    key = new_api_key(KeyMode.TEST)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


async def publish_demo_company(producer: AIOKafkaProducer, topic: str, data_dir: Path) -> str:
    key = demo_key(data_dir)
    record = api_key_record(key, DEMO_COMPANY_ID, DEMO_COMPANY_NAME)
    await producer.send_and_wait(topic, encode_api_key(record), key=record.key_hash.encode())
    return key
