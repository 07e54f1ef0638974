"""One company's feature state, compiled: the same features as `PythonCompanyFeatures`, to the
bit, a micro-batch per call.

Python keeps only what needs strings: which slot (a row of the kernel's arrays) each end user,
recipient, device, IP and user→recipient pair has, and the ids of the pending orders (for an
analyst's label). A batch becomes ten integer columns per order; `detectors.features.kernel`
does the rest. A batch is cut where the day's sweep falls (keys silent for longer than every
window are forgotten, as in the Python version), because the sweep frees slots and Python must
drop their keys before the next orders are given slots.

Labels: an analyst's label for a pending order is written into the pending ring at once (the
order is found among the pending ids); one for an order not fed yet waits in a dict and is
attached when that order comes. Either way it counts when the order matures, as in the Python
version, where it waits in a dict until then.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from detectors.features.facts import OrderFacts
from detectors.features.names import FEATURE_NAMES
from detectors.features.windows import DAY, DEFAULT_LABEL_DELAY, LONGEST
from domain.orders import RecipientKind

_WIDTH = len(FEATURE_NAMES)
_CARD, _PHONE = RecipientKind.CARD, RecipientKind.PHONE  # kind codes 0, 1; anything else 2
_kernel: list[Any] = []


def _load_kernel() -> Any:
    """numba on first use: commands that never compute features do not import it."""
    if not _kernel:
        from detectors.features import kernel

        _kernel.append(kernel)
    return _kernel[0]


def warm_up() -> None:
    """Compile the kernel (or load it from numba's cache) now, not in the first live batch:
    ~1-2 s from the cache, tens of seconds without it. Once per process."""
    if not _kernel:
        _load_kernel()
        state = CompanyFeatures(0)
        f = OrderFacts(0, "", "u", "card:r", RecipientKind.CARD, 1, "d", "i", 1, "o")
        state.rows((f, OrderFacts(DAY, "", "u", "card:r", RecipientKind.CARD, 1, None, None)), np.empty((2, _WIDTH)))


class CompanyFeatures:
    """The state of one company: bounded per key, keys forgotten after 30 days of silence."""

    def __init__(self, label_delay: int = DEFAULT_LABEL_DELAY) -> None:
        if label_delay < 0:
            raise ValueError("label delay must be >= 0 seconds")
        k = self._k = _load_kernel()
        from numba import types
        from numba.typed import List

        self.label_delay = label_delay
        self._users: dict[str, int] = {}
        self._rcpts: dict[str, int] = {}  # also the recipient's delayed risk
        self._devices: dict[str, int] = {}
        self._ips: dict[str, int] = {}
        # A pair's key is its user's and recipient's slots: a slot is freed only in the sweep
        # that frees every pair of it (a pair's last order is its user's and recipient's too).
        self._pairs: dict[int, int] = {}
        self._slot_keys: list[tuple[dict[str, int], str] | None] = []
        self._free: list[int] = []
        self._pair_keys: list[int | None] = []
        self._free_pairs: list[int] = []
        self._S = np.zeros((256, k.FIELDS), dtype=np.int64)
        self._S[:, k.KIND] = k.FREE
        self._P = np.zeros((256, k.PAIR_FIELDS), dtype=np.int64)
        self._logs = tuple(List.empty_list(types.int64[:]) for _ in range(6))
        self._pend = np.zeros((1024, 4), dtype=np.int64)  # [at, recipient slot, label, analyst's]
        self._G = np.zeros(3, dtype=np.int64)  # pending head, end, analyst labels waiting
        self._pending_ids: deque[str | None] = deque()  # the order id of each pending entry
        self._later_labels: dict[str, int] = {}  # labels of orders not fed yet
        self._clock = 0
        self._next_sweep = 0

    @property
    def clock(self) -> int:
        """The time of the latest order seen; the stream never feeds an order before it."""
        return self._clock

    def compute_and_add(self, f: OrderFacts) -> list[float]:
        """The features of order `f` from everything before it, then `f` joins the state."""
        out = np.empty((1, _WIDTH))
        self.rows((f,), out)
        return out[0].tolist()

    def rows(self, orders: Sequence[OrderFacts], out: np.ndarray) -> None:
        """The features of each order (time order) into `out` (len(orders), len(FEATURE_NAMES)),
        each from everything before it; then the orders join the state."""
        k = self._k
        users, rcpts, devices, ips, pairs = self._users, self._rcpts, self._devices, self._ips, self._pairs
        later = self._later_labels
        ids = self._pending_ids
        alloc, alloc_pair = self._alloc, self._alloc_pair
        flat: list[int] = []
        new_slots: list[int] = []
        new_kinds: list[int] = []
        new_pairs: list[int] = []
        start = 0
        clock = self._clock
        for i, f in enumerate(orders):
            at = f.at
            if at < clock:
                self._run(flat, new_slots, new_kinds, new_pairs, out[start:i])
                raise ValueError(f"orders must come in time order ({at} after {clock})")
            self._clock = clock = at
            if at >= self._next_sweep:
                if flat:
                    self._run(flat, new_slots, new_kinds, new_pairs, out[start:i])
                    flat, new_slots, new_kinds, new_pairs = [], [], [], []
                    start = i
                self._sweep(at)
            user_id, rcpt_id = f.end_user, f.recipient
            u = users.get(user_id)
            if u is None:
                u = alloc(users, user_id, k.USER, new_slots, new_kinds)
            r = rcpts.get(rcpt_id)
            if r is None:
                r = alloc(rcpts, rcpt_id, k.RCPT, new_slots, new_kinds)
            key = f.device
            if key is None:
                d = -1
            else:
                d = devices.get(key)
                if d is None:
                    d = alloc(devices, key, k.DEVICE, new_slots, new_kinds)
            key = f.ip
            if key is None:
                ip = -1
            else:
                ip = ips.get(key)
                if ip is None:
                    ip = alloc(ips, key, k.IP, new_slots, new_kinds)
            pair_key = u << 32 | r
            p = pairs.get(pair_key)
            if p is None:
                p = alloc_pair(pair_key, new_pairs)
            label, by_analyst = (1 if f.label == 1 else 0), 0
            order_id = f.order_id
            if later and order_id in later:
                label, by_analyst = later.pop(order_id), 1
            kind = f.recipient_kind  # by identity: an enum's hash is a Python call
            flat += (at, f.amount, 0 if kind is _CARD else 1 if kind is _PHONE else 2, u, r, d, ip, p, label, by_analyst)
            ids.append(order_id)
        if flat:
            self._run(flat, new_slots, new_kinds, new_pairs, out[start:])

    def _alloc(self, table: dict[str, int], key: str, kind: int, new_slots: list[int], new_kinds: list[int]) -> int:
        if self._free:
            slot = self._free.pop()
            self._slot_keys[slot] = (table, key)
        else:
            slot = len(self._slot_keys)
            self._slot_keys.append((table, key))
        table[key] = slot
        new_slots.append(slot)
        new_kinds.append(kind)
        return slot

    def _alloc_pair(self, key: int, new_pairs: list[int]) -> int:
        if self._free_pairs:
            pair = self._free_pairs.pop()
            self._pair_keys[pair] = key
        else:
            pair = len(self._pair_keys)
            self._pair_keys.append(key)
        self._pairs[key] = pair
        new_pairs.append(pair)
        return pair

    def _run(self, flat: list[int], new_slots: list[int], new_kinds: list[int], new_pairs: list[int], out: np.ndarray) -> None:
        if not flat:
            return
        k = self._k
        x = np.array(flat, dtype=np.int64).reshape(-1, k.INPUTS)
        self._reserve(len(x))
        G = self._G
        head = int(G[k.G_HEAD])
        k.run(x, self._S, self._P, G, self._pend, *self._logs, np.array(new_slots, dtype=np.int64),
              np.array(new_kinds, dtype=np.int64), np.array(new_pairs, dtype=np.int64), self.label_delay, 0.5, out)  # fmt: skip
        popleft = self._pending_ids.popleft
        for _ in range(int(G[k.G_HEAD]) - head):
            popleft()

    def _reserve(self, n: int) -> None:
        """Room for every slot and pair given so far, and for n more pending orders."""
        k = self._k
        slots = len(self._slot_keys)
        if slots > len(self._S):
            grown = np.zeros((max(slots, 2 * len(self._S)), k.FIELDS), dtype=np.int64)
            grown[:, k.KIND] = k.FREE
            grown[: len(self._S)] = self._S
            self._S = grown
        if slots > len(self._logs[0]):
            k.extend(*self._logs, len(self._S))
        if len(self._pair_keys) > len(self._P):
            grown = np.zeros((max(len(self._pair_keys), 2 * len(self._P)), k.PAIR_FIELDS), dtype=np.int64)
            grown[: len(self._P)] = self._P
            self._P = grown
        G, pend = self._G, self._pend
        head, end = int(G[k.G_HEAD]), int(G[k.G_END])
        if end + n > len(pend):
            live = end - head
            if 2 * (live + n) > len(pend):
                pend = np.zeros((2 * (live + n), 4), dtype=np.int64)
            pend[:live] = self._pend[head:end]
            self._pend = pend
            G[k.G_HEAD], G[k.G_END] = 0, live

    def _sweep(self, at: int) -> None:
        """Forget keys silent for longer than any window: memory follows active keys only."""
        k = self._k
        self._reserve(0)
        slots, pairs = k.sweep(self._S, self._P, len(self._slot_keys), len(self._pair_keys), *self._logs,
                               at, LONGEST, self.label_delay)  # fmt: skip
        for slot in slots.tolist():
            entry = self._slot_keys[slot]
            assert entry is not None
            del entry[0][entry[1]]
            self._slot_keys[slot] = None
            self._free.append(slot)
        for pair in pairs.tolist():
            key = self._pair_keys[pair]
            assert key is not None
            del self._pairs[key]
            self._pair_keys[pair] = None
            self._free_pairs.append(pair)
        self._next_sweep = at + DAY

    def label(self, order_id: str, at: int, label: int) -> bool:
        """An analyst's label for the order fed at `at`; False when that order has already
        matured, in which case the label no longer changes the recipient's delayed risk."""
        if at <= self._clock - self.label_delay:
            return False
        value = 1 if label == 1 else 0
        try:
            index = self._pending_ids.index(order_id)  # the first pending: the one to mature first
        except ValueError:
            self._later_labels[order_id] = value
            return True
        k = self._k
        entry = self._pend[int(self._G[k.G_HEAD]) + index]
        entry[2] = value
        if not entry[3]:
            entry[3] = 1
            self._G[k.G_LABELLED] += 1
        return True

    def sizes(self) -> dict[str, int]:
        """Keys held, for monitoring the memory."""
        k = self._k
        S = self._S[: len(self._slot_keys)]
        rcpt = S[:, k.KIND] == k.RCPT
        G = self._G
        return {
            "users": len(self._users),
            "recipients": int((rcpt & (S[:, k.ALIVE] == 1)).sum()),
            "devices": len(self._devices),
            "ips": len(self._ips),
            "risk": int((rcpt & (S[:, k.R_EXISTS] == 1)).sum()),
            "pending": int(G[k.G_END] - G[k.G_HEAD]),
            "labels": len(self._later_labels) + int(G[k.G_LABELLED]),
        }
