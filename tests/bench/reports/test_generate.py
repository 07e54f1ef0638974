"""The reports bench's generated orders: when each is created, in either layout."""

from __future__ import annotations

from datetime import UTC, datetime

import clickhouse_connect
import pytest

from bench.reports.generate import Shape, order_base

END = datetime(2026, 11, 28, tzinfo=UTC)


def _created_ms(dsn: str, shape: Shape) -> list[int]:
    client = clickhouse_connect.get_client(dsn=dsn)
    rows = client.query(f"SELECT created_ms FROM ({order_base(shape, 0, shape.orders)}) ORDER BY n").result_rows
    return [int(r[0]) for r in rows]


@pytest.mark.parametrize("time_ordered", [True, False])
def test_orders_are_created_in_the_period_denser_towards_its_end(clickhouse_dsn: str, time_ordered: bool) -> None:
    shape = Shape(4000, 10, 20, 1000, 0.15, END, time_ordered=time_ordered)
    created = _created_ms(clickhouse_dsn, shape)
    assert all(shape.start_ms <= t < shape.start_ms + shape.span_ms for t in created)
    # sqrt of a uniform: 3/4 of the orders in the second half of the period, either way.
    late = sum(t >= shape.start_ms + shape.span_ms // 2 for t in created) / len(created)
    assert 0.72 < late < 0.78
    # Time-ordered: consecutive orders (a generating chunk) are a slice of time, as traffic
    # arrives; otherwise every chunk spreads over the whole period.
    assert (created == sorted(created)) is time_ordered
    first_chunk = created[: len(created) // 4]
    spread = (max(first_chunk) - min(first_chunk)) / shape.span_ms
    assert spread < 0.6 if time_ordered else spread > 0.95
