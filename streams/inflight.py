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
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiokafka import TopicPartition

T = TypeVar("T")


@dataclass(eq=False)
class Slot(Generic[T]):
    """One record's work. `handed_on`: its outcome was used (produced); the offset may pass it."""

    tp: TopicPartition
    offset: int
    task: asyncio.Task[T]
    handed_on: bool = False


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
        try:
            return await asyncio.wait_for(self._finished.get(), timeout_s)
        except TimeoutError:
            return None

    def finished_now(self) -> list[Slot[T]]:
        """Every task that has finished and was not taken yet, without waiting."""
        out = []
        while not self._finished.empty():
            out.append(self._finished.get_nowait())
        return out

    def hand_on(self, slot: Slot[T]) -> None:
        """Its outcome was used: the record leaves the window once those before it have too."""
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

    def committable(self) -> dict[TopicPartition, int]:
        """Next offset per partition past the handed-on prefix, for partitions that moved since
        the last call (taken: a second call returns only newer progress)."""
        offsets, self._next_offsets = self._next_offsets, {}
        return offsets

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
