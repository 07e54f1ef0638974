"""Runs the fault schedule against the stack and records each fault with its times.

One fault at a time: the next starts at its planned time or once the previous one has healed
and the stack has recovered (the restarted process is up again), whichever is later; a fault
that would then start inside the quiet tail is skipped (recorded as such). Between faults the
runner restarts a Quadra process that died on its own and notes it (a finding, not a fault).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.soak.schedule import FaultKind, PlannedFault
from bench.soak.stack import SoakStack
from bench.soak.webhooks import FlakyWebhookReceiver


@dataclass
class FaultRecord:
    planned: PlannedFault
    started_s: float  # seconds after the load started
    healed_s: float = 0.0  # the fault undone (process started again, broker started, faults cleared)
    recovered_s: float = 0.0  # the restarted process answering again
    error: str = ""  # the fault could not be injected or undone

    def line(self) -> str:
        late = self.started_s - self.planned.at_s
        lateness = f", {late:.0f} s after its plan" if late >= 1 else ""
        tail = f"; FAILED: {self.error}" if self.error else ""
        return (f"{self.started_s:7.1f} s  {self.planned.describe()}: healed at {self.healed_s:.1f} s, "
                f"recovered at {self.recovered_s:.1f} s{lateness}{tail}")  # fmt: skip


class FaultRunner:
    def __init__(self, stack: SoakStack, hooks: FlakyWebhookReceiver, plan: list[PlannedFault],
                 duration_s: float, quiet_tail_s: float) -> None:  # fmt: skip
        self.stack, self.hooks, self.plan = stack, hooks, plan
        self.duration_s, self.quiet_tail_s = duration_s, quiet_tail_s
        self.records: list[FaultRecord] = []
        self.skipped: list[PlannedFault] = []
        self._t0 = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._t0

    async def run(self) -> None:
        self._t0 = time.monotonic()
        for fault in self.plan:
            while self.now() < fault.at_s:
                await self.stack.heal_crashes()
                await asyncio.sleep(min(1.0, max(0.0, fault.at_s - self.now())))
            if self.now() + fault.hold_s > self.duration_s - self.quiet_tail_s:
                self.skipped.append(fault)
                continue
            record = FaultRecord(fault, self.now())
            self.records.append(record)
            print(f"  fault at {record.started_s:.0f} s: {fault.describe()}", flush=True)
            try:
                await self._inject(fault, record)
            except Exception as exc:  # noqa: BLE001 - recorded, shown in the summary; the soak fails
                record.error = f"{exc!r}"[:500]
                await self._undo_everything()
            await self.stack.heal_crashes()
        while self.now() < self.duration_s:
            await self.stack.heal_crashes()
            await asyncio.sleep(1.0)

    async def _inject(self, fault: PlannedFault, record: FaultRecord) -> None:
        stack = self.stack
        if fault.kind is FaultKind.WORKER_KILL:
            await asyncio.to_thread(stack.kill_worker)
            await asyncio.sleep(fault.hold_s)
            record.healed_s = self.now()
            await stack.restart_worker()
        elif fault.kind is FaultKind.UP_KILL:
            await asyncio.to_thread(stack.kill_up)
            await asyncio.sleep(fault.hold_s)
            record.healed_s = self.now()
            await stack.restart_up()
        elif fault.kind is FaultKind.BROKER_OUTAGE:
            await stack.stop_broker()
            await asyncio.sleep(fault.hold_s)
            await stack.start_broker()
            record.healed_s = self.now()
        elif fault.kind is FaultKind.PROVIDER_OUTAGE:
            await stack.provider_fault(fault.providers, fault.mode)
            await asyncio.sleep(fault.hold_s)
            await stack.clear_provider_faults()
            record.healed_s = self.now()
        elif fault.kind is FaultKind.WEBHOOK_FAILING:
            self.hooks.failing = True
            await asyncio.sleep(fault.hold_s)
            self.hooks.failing = False
            record.healed_s = self.now()
        record.recovered_s = self.now()

    async def _undo_everything(self) -> None:
        """After a fault that went wrong: the stack as whole as it can be made."""
        self.hooks.failing = False
        for undo in (self.stack.start_broker, self.stack.clear_provider_faults, self.stack.heal_crashes):
            try:
                await undo()
            except Exception as exc:  # noqa: BLE001 - the checks will show what is still broken
                print(f"  could not undo after a failed fault: {exc!r}", flush=True)

    async def clear(self) -> None:
        """The end of the soak: no fault is left on."""
        await self._undo_everything()
