"""The feature state order by order, in plain Python: the readable definition of every feature.

`detectors.features.compiled` computes the same numbers (to the bit) a micro-batch at a time in
a compiled kernel, and is what `FeatureState` uses; this version is kept as its specification
and test oracle (tests/detectors/features/test_compiled.py), and serves where numba is missing.

Labels respect the delay: an order's label (fraud or not) joins its recipient's risk counters
only once the order is `delay` seconds old, as the handbook's delayed terminal risk; a newer
label changes nothing. Offline files carry the label on the order; in the stream an analyst
labels an order later (`CompanyFeatures.label`), and that label counts if it came before the
order matured. An order never labelled matures as legitimate.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np

from detectors.features.facts import OrderFacts
from detectors.features.names import FEATURE_NAMES, NO_FRAUD_YET, OUTLIER_RATIO
from detectors.features.windows import (
    DAY,
    DEFAULT_LABEL_DELAY,
    LONGEST,
    RISK_WINDOWS,
    VELOCITY_WINDOWS,
    Distinct,
    Risk,
    Typical,
    Velocity,
)
from domain.orders import RecipientKind

_LONGEST = LONGEST
_NO_WINDOWS = (0,) * (2 * len(VELOCITY_WINDOWS))
_NO_RISK = (0,) * (3 * len(RISK_WINDOWS)) + (NO_FRAUD_YET, 0)
_TYPICAL_MIN_ORDERS = 3  # fewer: no typical amount yet, nothing is an outlier
_CARD, _PHONE = RecipientKind.CARD, RecipientKind.PHONE
_WIDTH = len(FEATURE_NAMES)


class _User(Velocity):
    """An end user's counters: velocity, typical amount, distinct recipients."""

    __slots__ = ("typical", "rcpts")

    def __init__(self) -> None:
        super().__init__()
        self.typical = Typical()
        self.rcpts = Distinct()


class _Recipient(Velocity):
    """A recipient's counters: velocity, distinct end users, when first seen."""

    __slots__ = ("users", "first_seen")

    def __init__(self, first_seen: int) -> None:
        super().__init__()
        self.users = Distinct()
        self.first_seen = first_seen


class PythonCompanyFeatures:
    """The state of one company: bounded per key, keys forgotten after 30 days of silence."""

    def __init__(self, label_delay: int = DEFAULT_LABEL_DELAY) -> None:
        if label_delay < 0:
            raise ValueError("label delay must be >= 0 seconds")
        self.label_delay = label_delay
        self._users: dict[str, _User] = {}
        self._rcpts: dict[str, _Recipient] = {}
        self._devices: dict[str, Velocity] = {}
        self._ips: dict[str, Velocity] = {}
        self._risk: dict[str, Risk] = {}  # per recipient, matured orders only
        self._pending: deque[tuple[int, str, int, str | None]] = deque()  # waiting for the delay
        self._labels: dict[str, int] = {}  # order id → label given before the order matured
        self._clock = 0
        self._next_sweep = 0

    def compute_and_add(self, f: OrderFacts) -> list[float]:
        """The features of order `f` from everything before it, then `f` joins the state."""
        return list(self.row(f))

    def row(self, f: OrderFacts) -> tuple[Any, ...]:
        """`compute_and_add` as a tuple of numbers (bools for flags), in FEATURE_NAMES order."""
        at = f.at
        if at < self._clock:
            raise ValueError(f"orders must come in time order ({at} after {self._clock})")
        self._clock = at
        if at >= self._next_sweep:
            self._sweep(at)
        pending = self._pending
        delay = self.label_delay
        if pending and pending[0][0] <= at - delay:
            self._mature(at)

        hour = at % DAY // 3600
        weekday = (at // DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        kind = f.recipient_kind
        amount = f.amount
        user_id, rcpt_id = f.end_user, f.recipient

        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = _User()
        vu = user.step(at, amount)
        rcpt = self._rcpts.get(rcpt_id)
        if rcpt is None:
            rcpt = self._rcpts[rcpt_id] = _Recipient(at)
        vr = rcpt.step(at, amount)
        key = f.device
        if key is None:
            vd = _NO_WINDOWS
        else:
            v = self._devices.get(key)
            if v is None:
                v = self._devices[key] = Velocity()
            vd = v.step(at, amount)
        key = f.ip
        if key is None:
            vi = _NO_WINDOWS
        else:
            v = self._ips.get(key)
            if v is None:
                v = self._ips[key] = Velocity()
            vi = v.step(at, amount)

        n7, sum7, n30, sum30 = vu[4], vu[5], vu[6], vu[7]
        mean7 = sum7 / n7 if n7 else 0.0
        mean30 = sum30 / n30 if n30 else 0.0
        z = 0.0
        if n30 >= 2:
            variance = user.squares_30d(amount) / n30 - mean30 * mean30
            if variance > 0:
                z = (amount - mean30) / variance**0.5
        ratio, outliers = user.typical.step(at, amount, OUTLIER_RATIO, _TYPICAL_MIN_ORDERS)
        r24, r30, new_pair = user.rcpts.step(rcpt_id, at)
        u24, u30, _ = rcpt.users.step(user_id, at)

        risk = self._risk.get(rcpt_id)
        if risk is None:
            tail = _NO_RISK
        else:
            horizon = at - delay
            n1, n7r, n30r, f1, f7, f30 = risk.counts(horizon)
            last = risk.last_fraud
            tail = (
                n1, n7r, n30r, f1, f7, f30,
                f1 / n1 if n1 else 0.0, f7 / n7r if n7r else 0.0, f30 / n30r if n30r else 0.0,
                NO_FRAUD_YET if last is None else (horizon - last) / DAY, risk.streak,
            )  # fmt: skip
        pending.append((at, rcpt_id, 1 if f.label == 1 else 0, f.order_id))
        return (
            (amount, hour, weekday, weekday >= 5, hour <= 6, kind is _CARD, kind is _PHONE)
            + vu + vr + vd + vi
            + (
                mean7, mean30, amount / mean7 if mean7 else 0.0, amount / mean30 if mean30 else 0.0, z,
                ratio, outliers, r24, r30, u24, u30, new_pair, (at - rcpt.first_seen) / DAY,
            )
            + tail
        )  # fmt: skip

    @property
    def clock(self) -> int:
        """The time of the latest order seen; the stream never feeds an order before it."""
        return self._clock

    def label(self, order_id: str, at: int, label: int) -> bool:
        """An analyst's label for the order fed at `at`; False when that order has already
        matured, in which case the label no longer changes the recipient's delayed risk."""
        if at <= self._clock - self.label_delay:
            return False
        self._labels[order_id] = 1 if label == 1 else 0
        return True

    def _mature(self, at: int) -> None:
        """Orders at least `delay` old join their recipient's risk counters, with their label."""
        pending = self._pending
        horizon = at - self.label_delay
        risk = self._risk
        labels = self._labels
        while pending and pending[0][0] <= horizon:
            when, recipient, label, order_id = pending.popleft()
            if order_id is not None and order_id in labels:
                label = labels.pop(order_id)
            counters = risk.get(recipient)
            if counters is None:
                counters = risk[recipient] = Risk()
            counters.add(when, label)

    def _sweep(self, at: int) -> None:
        """Forget keys silent for longer than any window: memory follows active keys only."""
        floor = at - _LONGEST
        tables: tuple[dict[str, Any], ...] = (self._users, self._rcpts, self._devices, self._ips)
        for table in tables:
            for k in [k for k, v in table.items() if v.last_seen < floor]:
                del table[k]
        risk_floor = floor - self.label_delay
        for k in [k for k, v in self._risk.items() if v.last_seen < risk_floor]:
            del self._risk[k]
        self._next_sweep = at + DAY

    def sizes(self) -> dict[str, int]:
        """Keys held, for monitoring the memory."""
        names = ("users", "recipients", "devices", "ips")
        tables = (self._users, self._rcpts, self._devices, self._ips)
        out = {n: len(t) for n, t in zip(names, tables)}
        out.update(risk=len(self._risk), pending=len(self._pending), labels=len(self._labels))
        return out

    def rows(self, orders: Sequence[OrderFacts], out: np.ndarray) -> None:
        """`row` of each order (time order) into `out` (len(orders), len(FEATURE_NAMES))."""
        row = self.row
        rows = [row(f) for f in orders]
        # fromiter over the flattened rows: several times faster than np.array on mixed
        # int/float/bool tuples.
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=len(rows) * _WIDTH)
        out[:] = flat.reshape(len(rows), _WIDTH)
