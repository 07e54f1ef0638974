"""A sliding window of records in flight: up to N at once, committed as a contiguous done prefix.

Dispatch used to take a poll of up to 50 records, pay them together and wait for the slowest
before the next poll: one payout that waits for its bank (200 ms in the sandbox, seconds at a
real one) held up every later record, and the poll after it. Here each record's work is a task
started as soon as there is room; a task's outcome is handed on as soon as it is done, in
whatever order they finish; and a partition's offset only moves past a record once it and
every record before it have been handed on. So a crash or a restart redoes at most the
records in flight, which is what the old barrier redid too (the whole unfinished poll).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Collection, Coroutine
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiokafka import TopicPartition

T = TypeVar("T")


@dataclass(eq=False)
class Slot(Generic[T]):
    """One record's work. `handed_on`: its outcome was used (produced); the offset may pass it.
    `dropped`: its partition left this window (a rebalance); its outcome is no one's to use."""

    tp: TopicPartition
    offset: int
    task: asyncio.Task[T]
    handed_on: bool = False
    dropped: bool = False


@dataclass
class InFlight(Generic[T]):
    """Tasks per partition in offset order, a queue of the finished ones, and what may be committed."""

    limit: int
    _slots: dict[TopicPartition, deque[Slot[T]]] = field(default_factory=dict)
    _finished: asyncio.Queue[Slot[T]] = field(default_factory=asyncio.Queue)
    _size: int = 0
    _room: asyncio.Event = field(default_factory=asyncio.Event)
    _next_offsets: dict[TopicPartition, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("the window must hold at least one record")
        self._room.set()

    def __len__(self) -> int:
        return self._size

    @property
    def room(self) -> int:
        return self.limit - self._size

    async def wait_for_room(self) -> None:
        await self._room.wait()

    def start(self, tp: TopicPartition, offset: int, work: Coroutine[Any, Any, T]) -> Slot[T]:
        """Runs `work` for the record at `offset` of `tp` (offsets of a partition come in order)."""
        if self._size >= self.limit:
            work.close()
            raise RuntimeError("no room in the window")
        slot: Slot[T] = Slot(tp, offset, asyncio.ensure_future(work))
        self._slots.setdefault(tp, deque()).append(slot)
        self._size += 1
        if self._size >= self.limit:
            self._room.clear()
        slot.task.add_done_callback(lambda _: self._finished.put_nowait(slot))
        return slot

    async def next_finished(self, timeout_s: float) -> Slot[T] | None:
        """The next task that finished (its result or exception is ready), None after `timeout_s`."""
        clock = asyncio.get_running_loop().time
        deadline = clock() + timeout_s
        while True:  # dropped slots are skipped
            try:
                slot = await asyncio.wait_for(self._finished.get(), max(0.0, deadline - clock()))
            except TimeoutError:
                return None
            if not slot.dropped:
                return slot

    def finished_now(self) -> list[Slot[T]]:
        """Every task that has finished and was not taken yet, without waiting."""
        out = []
        while not self._finished.empty():
            slot = self._finished.get_nowait()
            if not slot.dropped:
                out.append(slot)
        return out

    def holds(self, tps: Collection[TopicPartition]) -> bool:
        """Is any record of these partitions still in the window (running or not handed on)?"""
        return any(tp in self._slots for tp in tps)

    async def settled(self, tps: Collection[TopicPartition] | None, timeout_s: float) -> bool:
        """Waits until every task of these partitions (None: of all) has ended; False if some
        still run after `timeout_s` (they are left running)."""
        chosen = self._slots if tps is None else tps
        tasks = {slot.task for tp in chosen for slot in self._slots.get(tp, ())}
        if not tasks:
            return True
        _, running = await asyncio.wait(tasks, timeout=timeout_s)
        return not running

    async def drop(self, tps: Collection[TopicPartition]) -> int:
        """Takes these partitions' records out of the window: tasks still running are cancelled
        (and awaited), outcomes not handed on are never used, offsets not taken are forgotten.
        For a partition that moves to another consumer, which redoes them from the last commit.
        Returns how many records were dropped."""
        slots = [slot for tp in tps for slot in self._slots.pop(tp, ())]
        for slot in slots:
            slot.dropped = True
            slot.task.cancel()
        await asyncio.gather(*(slot.task for slot in slots), return_exceptions=True)
        for tp in tps:
            self._next_offsets.pop(tp, None)
        self._size -= len(slots)
        if self._size < self.limit:
            self._room.set()
        return len(slots)

    def hand_on(self, slot: Slot[T]) -> None:
        """Its outcome was used: the record leaves the window once those before it have too."""
        if slot.dropped:
            return
        slot.handed_on = True
        slots = self._slots[slot.tp]
        while slots and slots[0].handed_on:
            done = slots.popleft()
            self._next_offsets[done.tp] = done.offset + 1
            self._size -= 1
        if not slots:
            del self._slots[slot.tp]
        if self._size < self.limit:
            self._room.set()

    def committable(self, tps: Collection[TopicPartition] | None = None) -> dict[TopicPartition, int]:
        """Next offset per partition past the handed-on prefix, for partitions that moved since
        the last call (taken: a second call returns only newer progress); only those of `tps`
        when given."""
        if tps is None:
            offsets, self._next_offsets = self._next_offsets, {}
            return offsets
        return {tp: self._next_offsets.pop(tp) for tp in tps if tp in self._next_offsets}

    async def cancel_all(self) -> None:
        """Stops every task still running (a failure or a restart: they are redone from the
        last commit) and waits until they have stopped, so none runs on beside the redo."""
        tasks = [slot.task for slots in self._slots.values() for slot in slots]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._slots.clear()
        self._size = 0
        self._room.set()
