"""The rebalance listener of dispatch: revoked partitions' work ends, is committed, then leaves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection

import pytest
from aiokafka import TopicPartition

from streams.handover import Handover
from streams.inflight import InFlight

P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


class RecordingCommits:
    """Stands in for dispatch's commits: records what it was asked to commit and what the
    window held at that moment; `refusal` makes it raise instead."""

    def __init__(self, window: InFlight[int], refusal: Exception | None = None) -> None:
        self.window = window
        self.refusal = refusal
        self.calls: list[tuple[set[TopicPartition], dict[TopicPartition, int]]] = []

    async def commit(self, tps: Collection[TopicPartition]) -> None:
        self.calls.append((set(tps), self.window.committable(tps)))
        if self.refusal is not None:
            raise self.refusal


async def _hand_on_loop(window: InFlight[int]) -> None:
    """What dispatch's loop does with each finished record (produce, then hand on)."""
    while True:
        slot = await window.next_finished(0.05)
        if slot is not None:
            window.hand_on(slot)


async def _value(v: int, gate: asyncio.Event | None = None) -> int:
    if gate is not None:
        await gate.wait()
    return v


@pytest.fixture
async def window() -> AsyncIterator[InFlight[int]]:
    window: InFlight[int] = InFlight(8)
    loop = asyncio.create_task(_hand_on_loop(window))
    yield window
    loop.cancel()
    await window.cancel_all()


async def test_revoked_work_ends_and_is_committed_before_the_partitions_go(window: InFlight[int]) -> None:
    commits = RecordingCommits(window)
    payout = asyncio.Event()
    running = window.start(P0, 7, _value(7, payout))
    window.start(P1, 3, _value(3, asyncio.Event()))  # not revoked: never waited for
    asyncio.get_running_loop().call_later(0.2, payout.set)

    await Handover("dispatch", window, commits.commit, settle_s=5.0).on_partitions_revoked({P0})

    assert running.task.done() and not running.task.cancelled()
    assert commits.calls == [({P0}, {P0: 8})]
    assert not window.holds({P0}) and window.holds({P1})


async def test_work_that_outlasts_the_bound_is_cancelled_and_left_to_the_next_owner(window: InFlight[int]) -> None:
    commits = RecordingCommits(window)
    window.start(P0, 0, _value(0))
    stuck = window.start(P0, 1, _value(1, asyncio.Event()))
    await asyncio.sleep(0.1)  # offset 0 handed on

    await Handover("dispatch", window, commits.commit, settle_s=0.1, hand_on_s=0.1).on_partitions_revoked([P0])

    assert commits.calls == [({P0}, {P0: 1})]  # the finished prefix only
    assert stuck.task.cancelled() and not window.holds({P0}) and len(window) == 0


async def test_a_refused_commit_is_logged_not_raised_and_the_partitions_still_go(window: InFlight[int]) -> None:
    commits = RecordingCommits(window, refusal=RuntimeError("broker refused"))
    window.start(P0, 0, _value(0, asyncio.Event()))

    await Handover("dispatch", window, commits.commit, settle_s=0.05, hand_on_s=0.05).on_partitions_revoked({P0})

    assert len(commits.calls) == 1 and not window.holds({P0})


async def test_nothing_revoked_commits_nothing(window: InFlight[int]) -> None:
    commits = RecordingCommits(window)
    window.start(P0, 0, _value(0, asyncio.Event()))
    await Handover("dispatch", window, commits.commit, settle_s=5.0).on_partitions_revoked(set())
    assert commits.calls == [] and window.holds({P0})
