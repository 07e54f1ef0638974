import math
from collections import Counter

import pytest

from bench.pipeline.open_loop import OpenLoopResult
from bench.pipeline.phases import Sent, Step
from bench.pipeline.report import latency_ms, per_second, ratio, ratios
from bench.pipeline.summary import completed_row, decided_row


def test_latency_ms_percentiles_and_max() -> None:
    lat = latency_ms([i / 1000 for i in range(1, 101)])  # 1 … 100 ms
    assert lat["p50"] == pytest.approx(50.5)
    assert lat["p99"] == pytest.approx(99.01)
    assert lat["max"] == pytest.approx(100.0)
    assert lat["n"] == 100


def test_latency_ms_of_nothing_is_nan() -> None:
    lat = latency_ms([])
    assert math.isnan(lat["p50"]) and math.isnan(lat["max"]) and lat["n"] == 0


def test_ratio_and_missing_baselines() -> None:
    assert ratio(30.0, 10.0) == 3.0
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(float("nan"), 1.0))
    assert ratios({"p50": 4.0, "p99": 9.0, "n": 5}, {"p50": 2.0, "n": 7}) == {"p50": 2.0}


def test_per_second_is_the_rate_between_first_and_last_event() -> None:
    assert per_second([10.0 + i / 50 for i in range(101)]) == pytest.approx(50.0)
    assert per_second([3.0, 3.0]) == 0.0
    assert per_second([7.0]) == 0.0


def _step() -> Step:
    step = Step("pipeline", 10, OpenLoopResult(10, 3, sent=3, first_send_s=0, last_send_s=0.2), 100.0, 110.0)
    step.sends = [Sent(100.0, 100.02, "o1", "approved"), Sent(100.1, 100.13, "o2", "approved"),
                  Sent(100.2, 100.21, "o3", "declined")]
    step.completed_at = {"o1": 100.5, "o2": 101.1, "elsewhere": 100.3}
    step.errors = Counter({"HTTP 503": 1})
    return step


def test_decided_row_from_post_to_answer() -> None:
    row = decided_row(_step())
    assert row["count"] == 3 and row["errors"] == 1
    assert row["latency_ms"]["max"] == pytest.approx(30.0)
    assert row["per_s"] == pytest.approx(2 / (100.21 - 100.02))


def test_completed_row_joins_completions_by_order_id() -> None:
    row = completed_row(_step())
    assert row["count"] == 2  # o3 was declined; "elsewhere" is not this step's order
    assert row["latency_ms"]["max"] == pytest.approx(1000.0)
    assert row["errors"] == 1  # decided but never completed
