"""The feature state's arithmetic, compiled (numba): the layout and the per-key steps that
`detectors.features.kernel` runs for each order of a micro-batch.

`detectors.features.compiled` maps keys (end users, recipients, devices, IPs, user→recipient
pairs) to integer slots and calls `run` with the batch as integer columns; everything else —
windows, typical amounts, distinct counts, the delayed risk, the pending labels — happens
here, over numpy arrays, and writes the batch's feature matrix. Semantics are those of
`detectors.features.python_state` (the readable, order-by-order version), to the bit:
tests/detectors/features/test_compiled.py feeds both the same random streams.

Layout. A slot is one row of `S` (int64, fields below). Variable-length history lives in one
int64 array per slot and kind of history (numba typed lists `vlog`, `tlog`, `olog`, `d1log`,
`d2log`, `rlog`), as fixed-width records between a head and an end position; a full array is
compacted or doubled when pushed to.

- Velocity: one log of records [minute, n, s, q] (running totals before the minute's first
  event), and per window a position: the first record whose bucket (minute // (granularity /
  60)) is still inside the window. The window's count is n - that record's n, exactly the
  per-window bucket lists of the Python version (its buckets nest, so the first event of a
  window's bucket is the first event of some minute).
- Typical amount and outliers: logs [6 h bucket, n, s] and [hour, o], as `Typical`.
- Distinct: a pair (user, recipient) remembers the 24 h and 30 d bucket it was last seen in;
  each user and recipient keeps a queue [pair, bucket] per window and a count of the pairs
  whose last-seen bucket is still inside. An entry leaving the window lowers the count only if
  it is its pair's latest (a pair seen again in a later bucket leaves a stale entry behind).
- Delayed risk: per recipient slot, a log [hour, n, frauds] of matured orders with a position
  per window, the last usable fraud and the streak; pending orders wait in a ring.

Exactness. Totals are int64 and wrap, but a window's value is a difference of two totals, so
it is exact while the window's own value fits in int64 (counts and sums of amounts; the sum of
squared amounts is kept in two words, high * 2**62 + low, so it is exact for any amount). Integer divisions are Python's `/`
(correctly rounded): float division when both operands are below 2**53 (then identical), the
interpreter otherwise (numba objmode, never reached by realistic amounts). The z-score's square
root is libm's `pow(x, 0.5)` as CPython computes `x ** 0.5` — not `sqrt`, which differs in the
last bit for ~0.1 % of inputs — so the exponent is passed in at run time (`half`): a constant
0.5 lets LLVM turn the call into `sqrt`. No fast-math anywhere.
"""

from __future__ import annotations

import numpy as np
from numba import njit, objmode

from detectors.features.windows import DAY, DISTINCT_WINDOWS, RISK_WINDOWS, VELOCITY_WINDOWS

# --- slot fields (columns of S) ----------------------------------------------------------
(V_N, V_S, V_QH, V_QL, LAST, ALIVE, FIRST, VH, VE, P1, P2, P3,  # velocity; VH is the 30 d position
 T_N, T_S, T_O, TH, TE, OH, OE,  # typical amount, outliers (users)
 C24, C30, D1H, D1E, D2H, D2E,  # distinct (users, recipients)
 R_EXISTS, R_N, R_F, R_LAST, R_HASF, R_LASTF, R_STREAK, RH, RE, RP1, RP7, R_REFS,  # risk
 KIND) = range(38)  # fmt: skip
FIELDS = 38
# Entity kinds; FREE marks an unused slot.
FREE, USER, RCPT, DEVICE, IP = -1, 0, 1, 2, 3
# --- pair fields (columns of P) --------------------------------------------------------------
PK1, PK2, PLAST, PUSED = range(4)
PAIR_FIELDS = 4
NEVER = -(2**62)  # a bucket no window contains
# --- input columns of `run` ------------------------------------------------------------------
I_AT, I_AMOUNT, I_KIND, I_USER, I_RCPT, I_DEVICE, I_IP, I_PAIR, I_LABEL, I_FLAG = range(10)
INPUTS = 10
# --- the pending ring's state G ------------------------------------------------------------
G_HEAD, G_END, G_LABELLED = range(3)

# Geometry, pinned: the code below is written for nested velocity buckets of whole minutes.
_W1, _W2, _W3, _W4 = VELOCITY_WINDOWS
assert _W1.granularity == 60 and all(w.granularity % 60 == 0 for w in VELOCITY_WINDOWS)
_M2, _M3, _M4 = _W2.granularity // 60, _W3.granularity // 60, _W4.granularity // 60
_G2, _G3, _G4 = _W2.granularity, _W3.granularity, _W4.granularity
_S1, _S2, _S3, _S4 = _W1.span, _W2.span, _W3.span, _W4.span
_DG1, _DS1 = DISTINCT_WINDOWS[0].granularity, DISTINCT_WINDOWS[0].span
_DG2, _DS2 = DISTINCT_WINDOWS[1].granularity, DISTINCT_WINDOWS[1].span
_RG = RISK_WINDOWS[0].granularity
_R1, _R7, _R30 = (w.span for w in RISK_WINDOWS)
_TG, _TS = _G4, _S4  # typical amount: 30 d
_OG, _OS = _G3, _S3  # outliers: 7 d
_EXACT = 2**53
_SMALL = 2**31
_Q = 2**62  # squares are kept as high * 2**62 + low: exact whatever the amounts
_DAY = DAY
_NO_FRAUD_YET = 999.0


@njit(cache=True)
def _div(a, b):  # type: ignore[no-untyped-def]
    """Python's int / int: correctly rounded."""
    if -_EXACT <= a <= _EXACT and -_EXACT <= b <= _EXACT:
        return a / b
    with objmode(r="float64"):
        r = a / b
    return r


@njit(cache=True)
def _ratio(amount, n, total):  # type: ignore[no-untyped-def]
    """Python's amount * n / total, exact integers."""
    if 0 <= amount < _SMALL and 0 <= n < _SMALL:
        return _div(amount * n, total)
    with objmode(r="float64"):
        r = amount * n / total
    return r


@njit(cache=True)
def _room(logs, S, slot, hf, ef, w, pa, pb, pc):  # type: ignore[no-untyped-def]
    """The slot's log with room for one more record of width `w`: compacted (the records
    before the head dropped, positions `pa`, `pb`, `pc` shifted) or grown."""
    arr = logs[slot]
    end = S[slot, ef]
    if end + w <= arr.shape[0]:
        return arr
    head = S[slot, hf]
    live = end - head
    if head > 0 and 2 * (live + w) <= arr.shape[0]:
        for j in range(live):
            arr[j] = arr[head + j]
    else:
        grown = np.empty(max(4 * w, 2 * (live + w)), dtype=np.int64)
        for j in range(live):
            grown[j] = arr[head + j]
        logs[slot] = grown
        arr = grown
    S[slot, hf] = 0
    S[slot, ef] = live
    if pa >= 0:
        S[slot, pa] -= head
    if pb >= 0:
        S[slot, pb] -= head
    if pc >= 0:
        S[slot, pc] -= head
    return arr


@njit(cache=True)
def _add_square(S, slot, amount):  # type: ignore[no-untyped-def]
    low = S[slot, V_QL]
    if 0 <= amount < _SMALL:  # amount**2 < 2**62: no overflow
        low += amount * amount
        if low >= _Q:
            low -= _Q
            S[slot, V_QH] += 1
        S[slot, V_QL] = low
    else:
        with objmode(carry="int64", low="int64"):
            carry, low = divmod(low + amount * amount, _Q)
        S[slot, V_QH] += carry
        S[slot, V_QL] = low


@njit(cache=True)
def _squares_div(high, low, n):  # type: ignore[no-untyped-def]
    """Python's (high * 2**62 + low) / n."""
    if high == 0 and 0 <= low <= _EXACT:
        return low / n
    with objmode(r="float64"):
        r = (high * _Q + low) / n
    return r


@njit(cache=True)
def _velocity(S, vlog, slot, at, amount, out, row, col):  # type: ignore[no-untyped-def]
    """Count and sum per velocity window before this event into out[row, col:col + 8], then
    the event counts; returns (n 7 d, sum 7 d, n 30 d, sum 30 d, squares 30 d high, low)."""
    n, s = S[slot, V_N], S[slot, V_S]
    m = at // 60
    end = S[slot, VE]
    arr = vlog[slot]
    if end == 0 or arr[end - 5] != m:
        arr = _room(vlog, S, slot, VH, VE, 5, P1, P2, P3)
        end = S[slot, VE]
        arr[end] = m
        arr[end + 1] = n
        arr[end + 2] = s
        arr[end + 3] = S[slot, V_QH]
        arr[end + 4] = S[slot, V_QL]
        S[slot, VE] = end + 5
    limit = m - _S1
    p = S[slot, P1]
    while arr[p] <= limit:
        p += 5
    S[slot, P1] = p
    out[row, col] = n - arr[p + 1]
    out[row, col + 1] = s - arr[p + 2]
    limit = at // _G2 - _S2
    p = S[slot, P2]
    while arr[p] // _M2 <= limit:
        p += 5
    S[slot, P2] = p
    out[row, col + 2] = n - arr[p + 1]
    out[row, col + 3] = s - arr[p + 2]
    limit = at // _G3 - _S3
    p = S[slot, P3]
    while arr[p] // _M3 <= limit:
        p += 5
    S[slot, P3] = p
    n7, s7 = n - arr[p + 1], s - arr[p + 2]
    out[row, col + 4] = n7
    out[row, col + 5] = s7
    limit = at // _G4 - _S4
    p = S[slot, VH]
    while arr[p] // _M4 <= limit:
        p += 5
    S[slot, VH] = p
    n30, s30 = n - arr[p + 1], s - arr[p + 2]
    q_high, q_low = S[slot, V_QH] - arr[p + 3], S[slot, V_QL] - arr[p + 4]
    out[row, col + 6] = n30
    out[row, col + 7] = s30
    S[slot, V_N] = n + 1
    S[slot, V_S] = s + amount
    _add_square(S, slot, amount)
    S[slot, LAST] = at
    return n7, s7, n30, s30, q_high, q_low


@njit(cache=True)
def _typical(S, tlog, olog, slot, at, amount):  # type: ignore[no-untyped-def]
    """(amount / typical amount, outliers over 7 d) before this payout, then it counts."""
    t = tlog[slot]
    th, te = S[slot, TH], S[slot, TE]
    limit = at // _TG - _TS
    while th < te and t[th] <= limit:
        th += 3
    S[slot, TH] = th
    o = olog[slot]
    oh, oe = S[slot, OH], S[slot, OE]
    limit = at // _OG - _OS
    while oh < oe and o[oh] <= limit:
        oh += 2
    S[slot, OH] = oh
    if th < te:
        n, total = S[slot, T_N] - t[th + 1], S[slot, T_S] - t[th + 2]
    else:
        n = total = 0
    recent = S[slot, T_O] - o[oh + 1] if oh < oe else 0
    ratio = _ratio(amount, n, total) if total != 0 else 0.0
    if n >= 3 and ratio > 3.0:
        k = at // _OG
        if oe == oh or o[oe - 2] != k:
            o = _room(olog, S, slot, OH, OE, 2, -1, -1, -1)
            oe = S[slot, OE]
            o[oe] = k
            o[oe + 1] = S[slot, T_O]
            S[slot, OE] = oe + 2
        S[slot, T_O] += 1
    else:
        k = at // _TG
        if te == th or t[te - 3] != k:
            t = _room(tlog, S, slot, TH, TE, 3, -1, -1, -1)
            te = S[slot, TE]
            t[te] = k
            t[te + 1] = S[slot, T_N]
            t[te + 2] = S[slot, T_S]
            S[slot, TE] = te + 3
        S[slot, T_N] += 1
        S[slot, T_S] += amount
    return ratio, recent


@njit(cache=True)
def _expire(S, P, dlog, slot, hf, ef, cf, pk, limit):  # type: ignore[no-untyped-def]
    """Drop the queue's entries whose bucket left the window; a pair's latest lowers the count."""
    arr = dlog[slot]
    h, e, c = S[slot, hf], S[slot, ef], S[slot, cf]
    while h < e and arr[h + 1] <= limit:
        if P[arr[h], pk] == arr[h + 1]:
            c -= 1
        h += 2
    S[slot, hf] = h
    S[slot, cf] = c


@njit(cache=True)
def _enqueue(S, dlog, slot, hf, ef, pair, bucket):  # type: ignore[no-untyped-def]
    arr = _room(dlog, S, slot, hf, ef, 2, -1, -1, -1)
    e = S[slot, ef]
    arr[e] = pair
    arr[e + 1] = bucket
    S[slot, ef] = e + 2


@njit(cache=True)
def _see_pair(S, P, d1log, d2log, user, rcpt, pair, at):  # type: ignore[no-untyped-def]
    """(recipients of the user 24 h, 30 d, users of the recipient 24 h, 30 d, new pair) before
    this order, then the pair counts."""
    k1, k2 = at // _DG1, at // _DG2
    _expire(S, P, d1log, user, D1H, D1E, C24, PK1, k1 - _DS1)
    _expire(S, P, d2log, user, D2H, D2E, C30, PK2, k2 - _DS2)
    _expire(S, P, d1log, rcpt, D1H, D1E, C24, PK1, k1 - _DS1)
    _expire(S, P, d2log, rcpt, D2H, D2E, C30, PK2, k2 - _DS2)
    r24, r30, u24, u30 = S[user, C24], S[user, C30], S[rcpt, C24], S[rcpt, C30]
    last2 = P[pair, PK2]
    new = last2 <= k2 - _DS2
    if last2 != k2:
        _enqueue(S, d2log, user, D2H, D2E, pair, k2)
        _enqueue(S, d2log, rcpt, D2H, D2E, pair, k2)
        if new:
            S[user, C30] += 1
            S[rcpt, C30] += 1
        P[pair, PK2] = k2
    last1 = P[pair, PK1]
    if last1 != k1:
        _enqueue(S, d1log, user, D1H, D1E, pair, k1)
        _enqueue(S, d1log, rcpt, D1H, D1E, pair, k1)
        if last1 <= k1 - _DS1:
            S[user, C24] += 1
            S[rcpt, C24] += 1
        P[pair, PK1] = k1
    P[pair, PLAST] = at
    return r24, r30, u24, u30, new


@njit(cache=True)
def _risk_add(S, rlog, slot, when, label):  # type: ignore[no-untyped-def]
    """A matured order joins its recipient's risk counters (as `Risk.add`)."""
    k = when // _RG
    end = S[slot, RE]
    arr = rlog[slot]
    if end == 0 or arr[end - 3] != k:
        arr = _room(rlog, S, slot, RH, RE, 3, RP1, RP7, -1)
        end = S[slot, RE]
        arr[end] = k
        arr[end + 1] = S[slot, R_N]
        arr[end + 2] = S[slot, R_F]
        S[slot, RE] = end + 3
    S[slot, R_N] += 1
    if label:
        S[slot, R_F] += 1
        S[slot, R_HASF] = 1
        S[slot, R_LASTF] = when
        S[slot, R_STREAK] += 1
    else:
        S[slot, R_STREAK] = 0
    S[slot, R_LAST] = when
    S[slot, R_EXISTS] = 1


@njit(cache=True)
def _risk_row(S, rlog, slot, horizon, out, row, col):  # type: ignore[no-untyped-def]
    """The recipient's delayed risk as seen at `horizon` into out[row, col:col + 11]."""
    if not S[slot, R_EXISTS]:
        for j in range(9):
            out[row, col + j] = 0.0
        out[row, col + 9] = _NO_FRAUD_YET
        out[row, col + 10] = 0.0
        return
    arr = rlog[slot]
    end = S[slot, RE]
    k = horizon // _RG
    p30, limit = S[slot, RH], k - _R30
    while p30 < end and arr[p30] <= limit:
        p30 += 3
    p7, limit = max(S[slot, RP7], p30), k - _R7
    while p7 < end and arr[p7] <= limit:
        p7 += 3
    p1, limit = max(S[slot, RP1], p7), k - _R1
    while p1 < end and arr[p1] <= limit:
        p1 += 3
    S[slot, RH], S[slot, RP7], S[slot, RP1] = p30, p7, p1
    n, f = S[slot, R_N], S[slot, R_F]
    n1, f1 = (n - arr[p1 + 1], f - arr[p1 + 2]) if p1 < end else (0, 0)
    n7, f7 = (n - arr[p7 + 1], f - arr[p7 + 2]) if p7 < end else (0, 0)
    n30, f30 = (n - arr[p30 + 1], f - arr[p30 + 2]) if p30 < end else (0, 0)
    out[row, col] = n1
    out[row, col + 1] = n7
    out[row, col + 2] = n30
    out[row, col + 3] = f1
    out[row, col + 4] = f7
    out[row, col + 5] = f30
    out[row, col + 6] = _div(f1, n1) if n1 else 0.0
    out[row, col + 7] = _div(f7, n7) if n7 else 0.0
    out[row, col + 8] = _div(f30, n30) if n30 else 0.0
    out[row, col + 9] = _div(horizon - S[slot, R_LASTF], _DAY) if S[slot, R_HASF] else _NO_FRAUD_YET
    out[row, col + 10] = S[slot, R_STREAK]
