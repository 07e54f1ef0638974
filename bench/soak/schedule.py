"""The soak's fault schedule: which fault when, for how long, from a seed (pure, deterministic).

Kinds come in rounds: each round is a seeded shuffle of every kind, so a run long enough for
one round has had each fault once, and a 30-minute run has had each of them several times in
varying orders. Faults follow each other with a seeded gap; the runner starts one only after
the previous one has healed and the stack has recovered (bench/soak/faults.py), so on a slow
machine a fault may start later than planned, never earlier, and never two at once.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass


class FaultKind(str, enum.Enum):
    WORKER_KILL = "worker SIGKILL"  # the extra `quadra worker`, restarted after the hold
    UP_KILL = "quadra up SIGKILL"  # API, worker, sink: partners get connection errors meanwhile
    BROKER_OUTAGE = "broker outage"  # stopped for the hold, then started
    PROVIDER_OUTAGE = "provider outage"  # the sandbox's /_control/faults for the hold
    WEBHOOK_FAILING = "webhook 500s"  # the partners' receiver answers 500 for the hold


# Seconds a fault lasts (before the restart, the broker's start, the faults cleared).
HOLD_S: dict[FaultKind, tuple[float, float]] = {
    FaultKind.WORKER_KILL: (1.0, 10.0),
    FaultKind.UP_KILL: (1.0, 10.0),
    FaultKind.BROKER_OUTAGE: (10.0, 30.0),
    FaultKind.PROVIDER_OUTAGE: (15.0, 60.0),
    FaultKind.WEBHOOK_FAILING: (10.0, 60.0),
}
PROVIDERS = ("bank-a", "bank-b", "cards", "gifts", "topup")
# A provider outage takes down bank A alone (card transfers fail over to bank B), the top-up
# aggregator alone (top-ups wait), or every provider (nothing can be paid: everything waits).
PROVIDER_SETS: tuple[tuple[str, ...], ...] = (("bank-a",), ("topup",), PROVIDERS)
PROVIDER_MODES = ("down", "http_500")


@dataclass(frozen=True)
class PlannedFault:
    at_s: float  # seconds after the load started
    kind: FaultKind
    hold_s: float
    providers: tuple[str, ...] = ()  # PROVIDER_OUTAGE only
    mode: str = ""  # PROVIDER_OUTAGE only: the sandbox fault mode

    def describe(self) -> str:
        what = f" {self.mode} {','.join(self.providers)}" if self.providers else ""
        return f"{self.kind.value}{what} for {self.hold_s:.0f} s"


def fault_schedule(
    seed: int, duration_s: float, gap_s: tuple[float, float] = (15.0, 45.0),
    lead_in_s: float = 15.0, quiet_tail_s: float = 30.0,
    kinds: tuple[FaultKind, ...] = tuple(FaultKind),
) -> list[PlannedFault]:  # fmt: skip
    """Faults starting from `lead_in_s` (the load runs clean first) until `quiet_tail_s`
    before the end, in time order: each one `gap_s` after the previous one has ended."""
    if duration_s <= 0 or not kinds:
        return []
    if gap_s[0] < 0 or gap_s[1] < gap_s[0]:
        raise ValueError(f"bad gap range {gap_s}")
    rng = random.Random(seed)
    plan: list[PlannedFault] = []
    round_: list[FaultKind] = []
    at = lead_in_s
    while True:
        if not round_:
            round_ = list(kinds)
            rng.shuffle(round_)
        kind = round_.pop(0)
        low, high = HOLD_S[kind]
        hold = round(rng.uniform(low, high), 1)
        providers: tuple[str, ...] = ()
        mode = ""
        if kind is FaultKind.PROVIDER_OUTAGE:
            providers = rng.choice(PROVIDER_SETS)
            mode = rng.choice(PROVIDER_MODES)
        if at + hold > duration_s - quiet_tail_s:
            return plan
        plan.append(PlannedFault(round(at, 1), kind, hold, providers, mode))
        at += hold + rng.uniform(*gap_s)
