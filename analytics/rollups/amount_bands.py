"""Amount bands: what the daily rollup of orders by amount (migration 0017) groups amounts by.

Amounts (minor units) from 10 up fall in two bands per first significant digit and length: the
round amount alone (100, 200, …, 1000, 2000) and the rest up to the next one (101-199, 201-299,
…, 1001-1999); amounts under 10 are a band each. A band is named by its lowest amount. Twenty
bands a decade keep the rollup a few times the size of orders_daily (a day of the bench's orders:
4,781 groups), and the bounds people type (100.00-200.00, 1,000-5,000, 50 and up) are whole
bands, ends included: the round amounts are common ones (gift certificates of 200.00, top-ups of
5.00), which as a piece at the end of a range would be read from ~20,000 single orders. Other
bounds (150.00, 2,500) leave a piece of a band at the range's end, read from single orders.
"""

from __future__ import annotations

from dataclasses import dataclass

_POWER = "toInt64(intExp10(length(toString(amount_value)) - 1))"  # 10 ** (digits - 1), exact
# The band (its lowest amount) of `amount_value`, as band_of computes it.
AMOUNT_BAND = (
    f"if(amount_value < 10 OR amount_value % {_POWER} = 0, amount_value, "
    f"intDiv(amount_value, {_POWER}) * {_POWER} + 1)"
)


def _round_down(amount: int) -> tuple[int, int]:
    """(the amount's first digit followed by zeros, 10 ** (digits - 1)) of an amount from 10 up."""
    power = 10 ** (len(str(amount)) - 1)
    return amount // power * power, power


def band_of(amount: int) -> int:
    """The band's lowest amount."""
    if amount < 10:
        return amount
    rounded, _ = _round_down(amount)
    return amount if amount == rounded else rounded + 1


def band_last(band: int) -> int:
    """The highest amount of the band whose lowest is `band`."""
    if band < 10:
        return band
    rounded, power = _round_down(band)
    return band if band == rounded else rounded + power - 1


@dataclass(frozen=True, slots=True)
class Cover:
    """An amount range [low, high] (inclusive, None: unbounded) as the whole bands from
    `first_band` to `last_band` (None: unbounded on that side) and the `pieces` of it outside
    them (inclusive (low, high) ranges). `whole`: whether any band lies wholly inside."""

    whole: bool
    first_band: int | None
    last_band: int | None
    pieces: tuple[tuple[int, int], ...]


def cover(low: int | None, high: int | None) -> Cover:
    first = last = None
    if low is not None:
        band = band_of(low)
        first = band if band == low else band_last(band) + 1
    if high is not None:
        band = band_of(high)
        last = band if band_last(band) == high else band_of(band - 1)
    if first is not None and last is not None and first > last:
        return Cover(False, None, None, ((low, high),))  # both bounds given: no band fits between
    pieces = []
    if low is not None and first is not None and low < first:
        pieces.append((low, first - 1))
    if high is not None and last is not None and high > band_last(last):
        pieces.append((band_last(last) + 1, high))
    return Cover(True, first, last, tuple(pieces))
