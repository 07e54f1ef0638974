"""Streaming feature state: feed orders in time order, get each order's features before it counts.

One `CompanyFeatures` per company (the stream keeps it in the worker that owns the company's
partition; the offline commands keep one per company of the file). `FeatureState` routes a
micro-batch to them and returns a matrix whose columns are `FEATURE_NAMES`.

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
from detectors.features.names import FEATURE_INDEX, FEATURE_NAMES, NO_FRAUD_YET, OUTLIER_RATIO
from tests.detectors.features.reference.windows import (
    DAY,
    DISTINCT_WINDOWS,
    RISK_WINDOWS,
    VELOCITY_WINDOWS,
    Distinct,
    Squares,
    Totals,
)
from domain.orders import RecipientKind

DEFAULT_LABEL_DELAY = 7 * DAY
_LONGEST = max(w.length for w in (*VELOCITY_WINDOWS, *DISTINCT_WINDOWS))
_NO_WINDOWS = [0] * (2 * len(VELOCITY_WINDOWS))
_I30 = 3  # position of 30 d in VELOCITY_WINDOWS
_USER_7D = FEATURE_INDEX["user_count_7d"]
_NO_RISK = [0] * (3 * len(RISK_WINDOWS)) + [NO_FRAUD_YET, 0]
_TYPICAL_WINDOW = (VELOCITY_WINDOWS[3],)  # 30 d
_OUTLIER_WINDOW = (VELOCITY_WINDOWS[2],)  # 7 d
_TYPICAL_MIN_ORDERS = 3  # fewer: no typical amount yet, nothing is an outlier


class CompanyFeatures:
    """The state of one company: bounded per key, keys forgotten after 30 days of silence."""

    def __init__(self, label_delay: int = DEFAULT_LABEL_DELAY) -> None:
        if label_delay < 0:
            raise ValueError("label delay must be >= 0 seconds")
        self.label_delay = label_delay
        self._velocity: tuple[dict[str, Totals], ...] = ({}, {}, {}, {})  # user, rcpt, device, ip
        self._amounts: dict[str, Squares] = {}  # per end user, for the z-score
        self._typical: dict[str, Totals] = {}  # per end user, amounts of non-outliers
        self._outliers: dict[str, Totals] = {}  # per end user, outlier payouts
        self._first_seen: dict[str, int] = {}  # recipient → first time seen
        self._user_rcpts: dict[str, Distinct] = {}
        self._rcpt_users: dict[str, Distinct] = {}
        self._risk: dict[str, Totals] = {}  # per recipient, matured orders only
        self._last_fraud: dict[str, int] = {}  # per recipient, time of its last matured fraud
        self._streak: dict[str, int] = {}  # per recipient, latest matured labels all frauds
        self._pending: deque[tuple[int, str, int, str | None]] = deque()  # waiting for the delay
        self._labels: dict[str, int] = {}  # order id → label given before the order matured
        self._clock = 0
        self._next_sweep = 0

    def compute_and_add(self, f: OrderFacts) -> list[float]:
        """The features of order `f` from everything before it, then `f` joins the state."""
        at = f.at
        if at < self._clock:
            raise ValueError(f"orders must come in time order ({at} after {self._clock})")
        self._clock = at
        if at >= self._next_sweep:
            self._sweep(at)
        if self._pending and self._pending[0][0] <= at - self.label_delay:
            self._mature(at)

        hour = at % DAY // 3600
        weekday = (at // DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        kind = f.recipient_kind
        amount = f.amount
        row: list[float] = [
            amount, hour, weekday, weekday >= 5, hour <= 6,
            kind is RecipientKind.CARD, kind is RecipientKind.PHONE,
        ]  # fmt: skip
        velocity = self._velocity
        for i, key in enumerate((f.end_user, f.recipient, f.device, f.ip)):
            if key is None:
                row += _NO_WINDOWS
                continue
            totals = velocity[i].get(key)
            if totals is None:
                totals = velocity[i][key] = Totals(VELOCITY_WINDOWS)
            totals.step(at, amount, row)

        squares = self._amounts.get(f.end_user)
        if squares is None:
            squares = self._amounts[f.end_user] = Squares(VELOCITY_WINDOWS[_I30])
        n30, sum30, sq30 = squares.step(at, amount)
        # The user's 7 d (count, sum) were just written by its velocity rings.
        n7, sum7 = row[_USER_7D], row[_USER_7D + 1]
        mean7 = sum7 / n7 if n7 else 0.0
        mean30 = sum30 / n30 if n30 else 0.0
        z = 0.0
        if n30 >= 2:
            variance = sq30 / n30 - mean30 * mean30
            if variance > 0:
                z = (amount - mean30) / variance**0.5
        row += (
            mean7, mean30,
            amount / mean7 if mean7 else 0.0, amount / mean30 if mean30 else 0.0, z,
        )  # fmt: skip
        row += self._typical_amount(f.end_user, at, amount)

        rcpts = self._user_rcpts.get(f.end_user)
        if rcpts is None:
            rcpts = self._user_rcpts[f.end_user] = Distinct()
        users = self._rcpt_users.get(f.recipient)
        if users is None:
            users = self._rcpt_users[f.recipient] = Distinct()
        rcpt_counts: list[float] = []
        new_pair = rcpts.step(f.recipient, at, rcpt_counts)
        row += rcpt_counts
        users.step(f.end_user, at, row)
        row.append(new_pair)
        row.append((at - self._first_seen.setdefault(f.recipient, at)) / DAY)

        risk = self._risk.get(f.recipient)
        if risk is None:
            row += _NO_RISK
        else:
            horizon = at - self.label_delay
            risk.expire(horizon)
            t = risk.totals  # [orders, frauds] per window
            row += t[0::2]
            row += t[1::2]
            row += [frauds / n if n else 0.0 for n, frauds in zip(t[0::2], t[1::2])]
            last = self._last_fraud.get(f.recipient)
            row.append(NO_FRAUD_YET if last is None else (horizon - last) / DAY)
            row.append(self._streak.get(f.recipient, 0))
        self._pending.append((at, f.recipient, 1 if f.label == 1 else 0, f.order_id))
        return row

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

    def _typical_amount(self, user: str, at: int, amount: int) -> tuple[float, int]:
        """(amount / typical amount, outliers over 7 d) before this order, then it counts."""
        typical = self._typical.get(user)
        if typical is None:
            typical = self._typical[user] = Totals(_TYPICAL_WINDOW)
        else:
            typical.expire(at)
        outliers = self._outliers.get(user)
        if outliers is None:
            outliers = self._outliers[user] = Totals(_OUTLIER_WINDOW)
        else:
            outliers.expire(at)
        n, total = typical.totals
        recent_outliers = outliers.totals[0]
        ratio = amount * n / total if total else 0.0
        if n >= _TYPICAL_MIN_ORDERS and ratio > OUTLIER_RATIO:
            outliers.add(at, 1)
        else:
            typical.add(at, amount)
        return ratio, recent_outliers

    def _mature(self, at: int) -> None:
        """Orders at least `delay` old join their recipient's risk counters, with their label."""
        pending = self._pending
        horizon = at - self.label_delay
        risk = self._risk
        while pending and pending[0][0] <= horizon:
            when, recipient, label, order_id = pending.popleft()
            if order_id is not None and order_id in self._labels:
                label = self._labels.pop(order_id)
            totals = risk.get(recipient)
            if totals is None:
                totals = risk[recipient] = Totals(RISK_WINDOWS)
            totals.add(when, label)
            if label:
                self._last_fraud[recipient] = when
                self._streak[recipient] = self._streak.get(recipient, 0) + 1
            else:
                self._streak[recipient] = 0

    def _sweep(self, at: int) -> None:
        """Forget keys silent for longer than any window: memory follows active keys only."""
        floor = at - _LONGEST
        tables: tuple[dict[str, Any], ...] = (
            *self._velocity, self._user_rcpts, self._rcpt_users, self._amounts,
            self._typical, self._outliers,
        )  # fmt: skip
        for table in tables:
            for k in [k for k, v in table.items() if v.last_seen < floor]:
                del table[k]
        rcpts = self._velocity[1]
        self._first_seen = {k: t for k, t in self._first_seen.items() if k in rcpts}
        risk_floor = floor - self.label_delay
        for k in [k for k, v in self._risk.items() if v.last_seen < risk_floor]:
            del self._risk[k]
            self._last_fraud.pop(k, None)
            self._streak.pop(k, None)
        self._next_sweep = at + DAY

    def sizes(self) -> dict[str, int]:
        """Keys held, for monitoring the memory."""
        names = ("users", "recipients", "devices", "ips")
        out = {n: len(t) for n, t in zip(names, self._velocity)}
        out.update(risk=len(self._risk), pending=len(self._pending), labels=len(self._labels))
        return out


class FeatureState:
    """All companies' state; what the stream agent and the offline commands call per batch."""

    def __init__(self, label_delay: int = DEFAULT_LABEL_DELAY) -> None:
        self.label_delay = label_delay
        self._companies: dict[str, CompanyFeatures] = {}

    def company(self, company_id: str) -> CompanyFeatures:
        state = self._companies.get(company_id)
        if state is None:
            state = self._companies[company_id] = CompanyFeatures(self.label_delay)
        return state

    def update_and_compute(self, orders: Sequence[OrderFacts]) -> np.ndarray:
        """A (len(orders), len(FEATURE_NAMES)) float matrix; orders in time order per company."""
        rows = [self.company(f.company_id).compute_and_add(f) for f in orders]
        # fromiter over the flattened rows: several times faster than np.array on mixed
        # int/float/bool lists.
        width = len(FEATURE_NAMES)
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=len(rows) * width)
        return flat.reshape(len(rows), width)
