"""`wait_for_batch` polls until the batch is completed, and gives up at the timeout with the
batch's last state."""

from __future__ import annotations

import pytest
from quadra_client import AsyncQuadra, BatchWaitTimeoutError, Quadra

from tests.clients.fake_partner_api import (
    BASE_URL,
    TEST_KEY,
    FakeClock,
    ScriptedApi,
    ok,
)
from tests.clients.wire_samples import batch_json

PROCESSING = batch_json()
COMPLETED = batch_json(status="completed", completed_at="2026-11-26T12:00:09Z")


def test_polls_until_completed() -> None:
    api, clock = ScriptedApi([ok(PROCESSING), ok(PROCESSING), ok(COMPLETED)]), FakeClock()
    with Quadra(TEST_KEY, BASE_URL, transport=api.transport, sleep=clock.sleep, monotonic=clock.monotonic) as quadra:
        batch = quadra.wait_for_batch("bat_1", timeout=60, poll_interval=2)
    assert batch.is_completed and batch.completed_at is not None
    assert clock.slept == [2, 2] and {r.url.path for r in api.requests} == {"/v1/batches/bat_1"}


def test_gives_up_at_the_timeout_with_the_last_state() -> None:
    api, clock = ScriptedApi([ok(PROCESSING)]), FakeClock()
    with Quadra(TEST_KEY, BASE_URL, transport=api.transport, sleep=clock.sleep, monotonic=clock.monotonic) as quadra:
        with pytest.raises(BatchWaitTimeoutError) as raised:
            quadra.wait_for_batch("bat_1", timeout=5, poll_interval=2)
    assert raised.value.batch.status == "processing" and sum(clock.slept) == 5 and clock.slept[-1] == 1
    assert len(api.requests) == 4


def test_a_completed_batch_needs_no_sleep() -> None:
    api, clock = ScriptedApi([ok(COMPLETED)]), FakeClock()
    with Quadra(TEST_KEY, BASE_URL, transport=api.transport, sleep=clock.sleep, monotonic=clock.monotonic) as quadra:
        assert quadra.wait_for_batch("bat_1", timeout=0).is_completed
    assert clock.slept == []


@pytest.mark.parametrize(("timeout", "interval"), [(-1, 1), (10, 0)])
def test_impossible_timings_are_refused(timeout: float, interval: float) -> None:
    api = ScriptedApi([ok(COMPLETED)])
    with Quadra(TEST_KEY, BASE_URL, transport=api.transport) as quadra, pytest.raises(ValueError):
        quadra.wait_for_batch("bat_1", timeout=timeout, poll_interval=interval)
    assert api.requests == []


async def test_the_async_client_waits_the_same_way() -> None:
    api, clock = ScriptedApi([ok(PROCESSING), ok(COMPLETED)]), FakeClock()
    async with AsyncQuadra(TEST_KEY, BASE_URL, transport=api.transport, sleep=clock.async_sleep,
                           monotonic=clock.monotonic) as quadra:  # fmt: skip
        assert (await quadra.wait_for_batch("bat_1", timeout=30)).is_completed
    assert clock.slept == [1.0]
