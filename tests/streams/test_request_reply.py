"""The API's request/reply keeps its deadline even when the broker is away (fault matrix,
"broker unavailable": a prompt 503 + Retry-After, not a request hanging for 40 s and more)."""

from __future__ import annotations

import asyncio
import time

from aiokafka.errors import KafkaTimeoutError

from streams.request_reply import publish_and_await


class HangingProducer:
    """A broker that is away: the publish never completes (aiokafka retries for a long while)."""

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> None:
        await asyncio.sleep(3600)


class FailingProducer:
    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> None:
        raise KafkaTimeoutError()


class AnsweringProducer:
    """Publishes at once; `answer` (if set) becomes the reply shortly after."""

    def __init__(self, reply: asyncio.Future[str], answer: str | None) -> None:
        self.reply, self.answer, self.sent = reply, answer, []  # type: ignore[var-annotated]

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> None:
        self.sent.append((topic, value, key))
        if self.answer is not None:
            asyncio.get_running_loop().call_later(0.05, self.reply.set_result, self.answer)


async def test_a_publish_that_hangs_gives_up_at_the_deadline() -> None:
    reply: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    started = time.monotonic()
    got = await publish_and_await(HangingProducer(), "t", b"v", b"k", reply, 0.3)  # type: ignore[arg-type]
    assert got is None and time.monotonic() - started < 1.0


async def test_a_failed_publish_is_no_reply() -> None:
    reply: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    assert await publish_and_await(FailingProducer(), "t", b"v", b"k", reply, 1.0) is None  # type: ignore[arg-type]


async def test_the_reply_comes_back_and_a_missing_one_times_out() -> None:
    loop = asyncio.get_running_loop()
    reply: asyncio.Future[str] = loop.create_future()
    producer = AnsweringProducer(reply, "approved")
    assert await publish_and_await(producer, "t", b"v", b"k", reply, 1.0) == "approved"  # type: ignore[arg-type]
    assert producer.sent == [("t", b"v", b"k")]
    silent: asyncio.Future[str] = loop.create_future()
    started = time.monotonic()
    assert await publish_and_await(AnsweringProducer(silent, None), "t", b"v", b"k", silent, 0.2) is None  # type: ignore[arg-type]
    assert 0.15 < time.monotonic() - started < 1.0
