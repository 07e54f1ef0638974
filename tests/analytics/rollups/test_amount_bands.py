"""Amount bands: what a band holds, how an amount range splits into whole bands and pieces, and
that ClickHouse computes the same band as Python for every amount (the rollup's rows and the
reports' conditions must agree)."""

from __future__ import annotations

import pytest

from analytics.clickhouse import ClickHouse
from analytics.rollups.amount_bands import AMOUNT_BAND, Cover, band_last, band_of, cover


@pytest.mark.parametrize(("amount", "band", "last"), [
    (-7, -7, -7), (0, 0, 0), (9, 9, 9), (10, 10, 10), (11, 11, 19), (19, 11, 19), (20, 20, 20), (99, 91, 99),
    (100, 100, 100), (12_345, 10_001, 19_999), (20_000, 20_000, 20_000), (99_999, 90_001, 99_999),
    (100_000, 100_000, 100_000), (10**18 + 5, 10**18 + 1, 2 * 10**18 - 1),
])  # fmt: skip
def test_a_round_amount_is_a_band_and_the_amounts_up_to_the_next_one_another(amount: int, band: int, last: int) -> None:
    assert band_of(amount) == band
    assert band_last(band) == last
    assert band <= amount <= last
    assert band_of(last + 1) == last + 1  # the next band starts right after


@pytest.mark.parametrize(("low", "high", "expected"), [
    # 100.00-200.00 and its likes: whole bands, the round ends included.
    (10_000, 20_000, Cover(True, 10_000, 20_000, ())),
    (10_000, 19_999, Cover(True, 10_000, 10_001, ())),
    (100_000, 500_000, Cover(True, 100_000, 500_000, ())),
    (20_000, 20_000, Cover(True, 20_000, 20_000, ())),
    (None, 20_000, Cover(True, None, 20_000, ())),
    (None, 9, Cover(True, None, 9, ())),
    (5, 5, Cover(True, 5, 5, ())),  # under 10, each amount is a band
    (None, None, Cover(True, None, None, ())),
    # Other bounds leave pieces of bands at the ends.
    (250, 1_234, Cover(True, 300, 1_000, ((250, 299), (1_001, 1_234)))),
    (15, None, Cover(True, 20, None, ((15, 19),))),
    (None, 25_000, Cover(True, None, 20_000, ((20_001, 25_000),))),
    # No band wholly inside: the range is one piece.
    (1_100, 1_900, Cover(False, None, None, ((1_100, 1_900),))),
    (1_500, 1_500, Cover(False, None, None, ((1_500, 1_500),))),
    (2_000, 1_000, Cover(False, None, None, ((2_000, 1_000),))),  # reversed: nothing matches anyway
])  # fmt: skip
def test_an_amount_range_is_whole_bands_and_pieces(low: int | None, high: int | None, expected: Cover) -> None:
    assert cover(low, high) == expected


@pytest.mark.parametrize(("low", "high"), [
    (1, 30_000), (250, 1_234), (9, 10), (99, 101), (-5, 12), (7_777, 123_456), (1_000, 2_000), (1_001, 1_999),
])  # fmt: skip
def test_the_bands_and_pieces_hold_every_amount_of_the_range_once(low: int, high: int) -> None:
    c = cover(low, high)
    held = []
    for a in range(low - 50, high + 51):
        in_band = c.whole and (c.first_band is None or band_of(a) >= c.first_band) and (
            c.last_band is None or band_of(a) <= c.last_band
        )
        in_piece = any(lo <= a <= hi for lo, hi in c.pieces)
        assert not (in_band and in_piece), a
        if in_band or in_piece:
            held.append(a)
    assert held == list(range(low, high + 1))


async def test_clickhouse_bands_amounts_as_python_does(clickhouse: ClickHouse) -> None:
    amounts = [-12, -1, 0, 1, 9, 10, 11, 19, 20, 99, 100, 101, 999, 1_000, 1_999, 2_000, 10_000, 19_999, 20_000,
               99_999, 100_000, 123_456_789, 10**15, 10**18 - 1, 10**18, 9 * 10**18]  # fmt: skip
    rows = await clickhouse.query(
        f"SELECT amount_value, {AMOUNT_BAND} FROM (SELECT arrayJoin({{amounts:Array(Int64)}}) AS amount_value)",
        {"amounts": amounts},
    )
    assert [(a, b) for a, b in rows] == [(a, band_of(a)) for a in amounts]
