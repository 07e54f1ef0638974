from aiokafka import TopicPartition

from bench.pipeline.lag import LagSeries, group_lag, lag_trend

A0, A1, B0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)


def test_group_lag_sums_end_minus_committed_over_committed_partitions() -> None:
    assert group_lag({A0: 5, A1: 10}, {A0: 8, A1: 10, B0: 99}) == 3


def test_group_lag_ignores_unknown_ends_and_offsets_past_the_end() -> None:
    assert group_lag({A0: 12, B0: 1}, {A0: 8}) == 0


def test_lag_trend() -> None:
    assert lag_trend([0, 10, 50, 200, 400, 900]) == "growing"
    assert lag_trend([4, 4, 4, 4, 4, 4]) == "steady"
    assert lag_trend([1, 2, 1, 3, 2, 4]) == "steady"  # small noise never counts as growing
    assert lag_trend([900, 800, 300, 100, 10, 0]) == "draining"
    assert lag_trend([5, 5000]) == "steady"  # too few samples to say


def test_lag_series_fills_groups_that_appear_or_vanish() -> None:
    series = LagSeries(started=100.0)
    series.add(101.0, {"g1": 3})
    series.add(102.0, {"g1": 4, "g2": 7})
    series.add(103.0, {"g2": 8})
    assert series.times == [1.0, 2.0, 3.0]
    assert series.by_group == {"g1": [3, 4, 4], "g2": [0, 7, 8]}
    assert series.between(1.5, 3.0) == {"g1": [4, 4], "g2": [7, 8]}

