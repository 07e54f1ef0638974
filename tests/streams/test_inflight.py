"""The sliding window of dispatch: room, hand-on in any order, commits of the done prefix."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

from streams.inflight import InFlight

P0, P1 = TopicPartition("t", 0), TopicPartition("t", 1)


async def _value(v: int, gate: asyncio.Event | None = None) -> int:
    if gate is not None:
        await gate.wait()
    return v


async def test_offsets_move_only_past_the_contiguous_prefix_whatever_order_tasks_finish() -> None:
    window: InFlight[int] = InFlight(10)
    slow = asyncio.Event()
    window.start(P0, 5, _value(5, slow))
    window.start(P0, 6, _value(6))
    window.start(P1, 9, _value(9))
    finished = [await window.next_finished(1.0) for _ in range(2)]
    assert {s.offset for s in finished if s} == {6, 9}
    for slot in finished:
        assert slot is not None
        window.hand_on(slot)
    # Offset 6 is done but 5 is not: partition 0 may not move; partition 1 may.
    assert window.committable() == {P1: 10} and len(window) == 2
    assert window.committable() == {}  # taken
    slow.set()
    last = await window.next_finished(1.0)
    assert last is not None and last.task.result() == 5
    window.hand_on(last)
    assert window.committable() == {P0: 7} and len(window) == 0


async def test_a_full_window_has_no_room_until_a_record_is_handed_on() -> None:
    window: InFlight[int] = InFlight(2)
    window.start(P0, 0, _value(0))
    window.start(P0, 1, _value(1))
    assert window.room == 0
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(window.wait_for_room(), 0.05)
    with pytest.raises(RuntimeError):
        window.start(P0, 2, _value(2))
    first = await window.next_finished(1.0)
    assert first is not None and first.offset == 0
    window.hand_on(first)
    await asyncio.wait_for(window.wait_for_room(), 0.05)
    assert window.room == 1


async def test_nothing_finished_is_none_after_the_timeout_and_errors_stay_in_their_slot() -> None:
    window: InFlight[int] = InFlight(3)
    assert await window.next_finished(0.01) is None

    async def fails() -> int:
        raise ValueError("unsettled")

    window.start(P0, 0, fails())
    slot = await window.next_finished(1.0)
    assert slot is not None and isinstance(slot.task.exception(), ValueError)
    assert window.committable() == {}  # not handed on: never committed


async def test_cancel_all_stops_every_running_task_before_returning() -> None:
    window: InFlight[int] = InFlight(3)
    never = asyncio.Event()
    slots = [window.start(P0, i, _value(i, never)) for i in range(3)]
    await window.cancel_all()
    assert all(s.task.cancelled() for s in slots)
    assert len(window) == 0 and window.room == 3 and window.committable() == {}


def test_a_window_holds_at_least_one_record() -> None:
    with pytest.raises(ValueError):
        InFlight(0)


async def test_settled_waits_for_the_given_partitions_only_and_says_when_some_still_run() -> None:
    window: InFlight[int] = InFlight(4)
    never, later = asyncio.Event(), asyncio.Event()
    window.start(P0, 0, _value(0, later))
    window.start(P1, 0, _value(0, never))
    asyncio.get_running_loop().call_later(0.05, later.set)
    assert await window.settled({P0}, 2.0) is True
    assert await window.settled({P1}, 0.05) is False
    assert await window.settled(None, 0.05) is False  # None: every partition
    assert await window.settled({TopicPartition("t", 7)}, 0.0) is True  # nothing there
    await window.cancel_all()


async def test_a_dropped_partition_leaves_the_window_and_its_outcomes_are_never_handed_out() -> None:
    window: InFlight[int] = InFlight(3)
    never = asyncio.Event()
    done = window.start(P0, 4, _value(4))
    handed = window.start(P1, 2, _value(2))
    running = window.start(P0, 5, _value(5, never))
    finished = await window.next_finished(1.0)
    assert finished is not None
    others = [finished, *window.finished_now()]
    assert {s.offset for s in others} == {4, 2} and handed in others and done in others
    window.hand_on(done)  # P0 offset 4 handed on (progress to 5, not taken), 5 still running
    window.hand_on(handed)
    assert window.holds({P0}) and not window.holds({P1}) and window.room == 2

    assert await window.drop({P0}) == 1
    assert running.task.cancelled() and running.dropped
    assert not window.holds({P0}) and len(window) == 0 and window.room == 3
    assert window.committable() == {P1: 3}  # P0's progress not taken went with the partition
    assert await window.next_finished(0.05) is None  # the cancelled task is not handed out
    window.hand_on(running)  # late hand-on of a dropped slot: ignored


async def test_committable_of_some_partitions_takes_only_theirs() -> None:
    window: InFlight[int] = InFlight(3)
    for tp in (P0, P1):
        window.start(tp, 0, _value(0))
    for _ in range(2):
        slot = await window.next_finished(1.0)
        assert slot is not None
        window.hand_on(slot)
    assert window.committable({P1}) == {P1: 1}
    assert window.committable({P1}) == {}
    assert window.committable() == {P0: 1}
