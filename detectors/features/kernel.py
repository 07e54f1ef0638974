"""The feature state's batch kernel (numba): one call per micro-batch of one company.

`run` computes a batch's features in order, `sweep` forgets silent keys, `extend` makes room
for new slots; the layout, the per-key steps and why they are exact are in
`detectors.features.kernel_parts`. Semantics are those of `detectors.features.python_state`,
to the bit (tests/detectors/features/test_compiled.py).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from detectors.features.kernel_parts import (  # noqa: F401  (the layout is this module's API too)
    ALIVE,
    C24,
    C30,
    D1E,
    D1H,
    D2E,
    D2H,
    DEVICE,
    FIELDS,
    FIRST,
    FREE,
    G_END,
    G_HEAD,
    G_LABELLED,
    INPUTS,
    IP,
    I_AMOUNT,
    I_AT,
    I_DEVICE,
    I_FLAG,
    I_IP,
    I_KIND,
    I_LABEL,
    I_PAIR,
    I_RCPT,
    I_USER,
    KIND,
    LAST,
    NEVER,
    OE,
    OH,
    P1,
    P2,
    P3,
    PAIR_FIELDS,
    PK1,
    PK2,
    PLAST,
    PUSED,
    RCPT,
    RE,
    RH,
    RP1,
    RP7,
    R_EXISTS,
    R_HASF,
    R_LAST,
    R_LASTF,
    R_REFS,
    R_STREAK,
    TE,
    TH,
    USER,
    VE,
    VH,
    _DAY,
    _DG1,
    _DG2,
    _DS1,
    _DS2,
    _div,
    _expire,
    _risk_add,
    _risk_row,
    _see_pair,
    _squares_div,
    _typical,
    _velocity,
)


@njit(cache=True)
def _init(S, P, new_slots, new_kinds, new_pairs):  # type: ignore[no-untyped-def]
    for j in range(new_slots.shape[0]):
        slot = new_slots[j]
        for f in range(FIELDS):
            S[slot, f] = 0
        S[slot, KIND] = new_kinds[j]
    for j in range(new_pairs.shape[0]):
        pair = new_pairs[j]
        P[pair, PK1] = NEVER
        P[pair, PK2] = NEVER
        P[pair, PLAST] = 0
        P[pair, PUSED] = 1


@njit(cache=True)
def run(  # type: ignore[no-untyped-def]
    x, S, P, G, pend, vlog, tlog, olog, d1log, d2log, rlog, new_slots, new_kinds, new_pairs, delay, half, out
):
    """Features of the batch `x` (INPUTS columns, time order) into `out`, the state updated.
    `pend` is the pending ring [at, recipient slot, label, analyst-labelled] with room for the
    batch; G its head, end and count of analyst labels waiting."""
    _init(S, P, new_slots, new_kinds, new_pairs)
    for i in range(x.shape[0]):
        at, amount = x[i, I_AT], x[i, I_AMOUNT]
        horizon = at - delay
        head = G[G_HEAD]
        while head < G[G_END] and pend[head, 0] <= horizon:
            slot = pend[head, 1]
            _risk_add(S, rlog, slot, pend[head, 0], pend[head, 2])
            S[slot, R_REFS] -= 1
            if pend[head, 3]:
                G[G_LABELLED] -= 1
            head += 1
        G[G_HEAD] = head

        hour = at % _DAY // 3600
        weekday = (at // _DAY + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        kind = x[i, I_KIND]
        out[i, 0] = amount
        out[i, 1] = hour
        out[i, 2] = weekday
        out[i, 3] = 1.0 if weekday >= 5 else 0.0
        out[i, 4] = 1.0 if hour <= 6 else 0.0
        out[i, 5] = 1.0 if kind == 0 else 0.0
        out[i, 6] = 1.0 if kind == 1 else 0.0

        user, rcpt, device, ip = x[i, I_USER], x[i, I_RCPT], x[i, I_DEVICE], x[i, I_IP]
        for slot in (user, rcpt):
            if not S[slot, ALIVE]:
                S[slot, ALIVE] = 1
                S[slot, FIRST] = at
        n7, s7, n30, s30, q_high, q_low = _velocity(S, vlog, user, at, amount, out, i, 7)
        _velocity(S, vlog, rcpt, at, amount, out, i, 15)
        for slot, col in ((device, 23), (ip, 31)):
            if slot < 0:
                for j in range(8):
                    out[i, col + j] = 0.0
            else:
                S[slot, ALIVE] = 1
                _velocity(S, vlog, slot, at, amount, out, i, col)

        mean7 = _div(s7, n7) if n7 else 0.0
        mean30 = _div(s30, n30) if n30 else 0.0
        z = 0.0
        if n30 >= 2:
            variance = _squares_div(q_high, q_low, n30) - mean30 * mean30
            if variance > 0:
                z = (amount - mean30) / variance**half
        ratio, outliers = _typical(S, tlog, olog, user, at, amount)
        r24, r30, u24, u30, new = _see_pair(S, P, d1log, d2log, user, rcpt, x[i, I_PAIR], at)
        out[i, 39] = mean7
        out[i, 40] = mean30
        out[i, 41] = amount / mean7 if mean7 != 0.0 else 0.0
        out[i, 42] = amount / mean30 if mean30 != 0.0 else 0.0
        out[i, 43] = z
        out[i, 44] = ratio
        out[i, 45] = outliers
        out[i, 46] = r24
        out[i, 47] = r30
        out[i, 48] = u24
        out[i, 49] = u30
        out[i, 50] = 1.0 if new else 0.0
        out[i, 51] = _div(at - S[rcpt, FIRST], _DAY)
        _risk_row(S, rlog, rcpt, horizon, out, i, 52)

        end = G[G_END]
        pend[end, 0] = at
        pend[end, 1] = rcpt
        pend[end, 2] = x[i, I_LABEL]
        pend[end, 3] = x[i, I_FLAG]
        G[G_END] = end + 1
        S[rcpt, R_REFS] += 1
        if x[i, I_FLAG]:
            G[G_LABELLED] += 1


@njit(cache=True)
def sweep(S, P, n_slots, n_pairs, vlog, tlog, olog, d1log, d2log, rlog, at, longest, delay):  # type: ignore[no-untyped-def]
    """Forget what was silent longer than any window (as `_sweep`): returns the freed slots
    and pairs. Every queue is expired first, so no entry outlives its pair."""
    floor = at - longest
    risk_floor = floor - delay
    k1, k2 = at // _DG1, at // _DG2
    freed = []
    empty = np.empty(0, dtype=np.int64)
    for slot in range(n_slots):
        kind = S[slot, KIND]
        if kind == FREE:
            continue
        if S[slot, ALIVE]:
            if kind == USER or kind == RCPT:
                _expire(S, P, d1log, slot, D1H, D1E, C24, PK1, k1 - _DS1)
                _expire(S, P, d2log, slot, D2H, D2E, C30, PK2, k2 - _DS2)
            if S[slot, LAST] < floor:  # every window of it expired: only memory changes
                S[slot, ALIVE] = 0
                for f in (VH, VE, P1, P2, P3, TH, TE, OH, OE, C24, C30, D1H, D1E, D2H, D2E):
                    S[slot, f] = 0
                vlog[slot] = empty
                tlog[slot] = empty
                olog[slot] = empty
                d1log[slot] = empty
                d2log[slot] = empty
        if S[slot, R_EXISTS] and S[slot, R_LAST] < risk_floor:
            for f in (R_EXISTS, R_HASF, R_LASTF, R_STREAK, RH, RE, RP1, RP7):
                S[slot, f] = 0
            rlog[slot] = empty
        if not S[slot, ALIVE] and not S[slot, R_EXISTS] and S[slot, R_REFS] == 0:
            S[slot, KIND] = FREE
            freed.append(slot)
    pairs = []
    for pair in range(n_pairs):
        if P[pair, PUSED] and P[pair, PLAST] < floor:
            P[pair, PUSED] = 0
            pairs.append(pair)
    return np.array(freed, dtype=np.int64), np.array(pairs, dtype=np.int64)


@njit(cache=True)
def extend(vlog, tlog, olog, d1log, d2log, rlog, n):  # type: ignore[no-untyped-def]
    """Empty histories for new slots up to `n`."""
    while len(vlog) < n:
        for logs in (vlog, tlog, olog, d1log, d2log, rlog):
            logs.append(np.empty(0, dtype=np.int64))
