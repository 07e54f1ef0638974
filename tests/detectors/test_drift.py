"""PSI: edges from the reference's deciles, (lower, upper] bins, smoothing of empty bins, and
the index itself, table-driven against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detectors.drift import FLOOR_SHARE, bin_counts, psi_from_counts, quantile_edges, stability


@pytest.mark.parametrize(
    ("reference", "recent", "expected"),
    [
        ([50, 50], [50, 50], 0.0),
        ([10, 20, 70], [1, 2, 7], 0.0),  # the same shares at another size
        ([50, 50], [25, 75], (0.25 - 0.5) * math.log(0.5) + (0.75 - 0.5) * math.log(1.5)),
        ([90, 10], [10, 90], 2 * 0.8 * math.log(9)),
        # An empty bin counts as the floor share, not zero (the index stays finite).
        ([100, 0], [50, 50], (0.5 - 1) * math.log(0.5) + (0.5 - FLOOR_SHARE) * math.log(0.5 / FLOOR_SHARE)),
    ],
)
def test_psi_of_count_vectors(reference: list[int], recent: list[int], expected: float) -> None:
    assert psi_from_counts(np.array(reference), np.array(recent)) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("reference", "recent"),
    [([1, 2], [1, 2, 3]), ([0, 0], [1, 1]), ([1, 1], [0, 0]), ([[1, 2]], [[1, 2]])],
)
def test_psi_refuses_count_vectors_it_cannot_compare(reference: list, recent: list) -> None:
    with pytest.raises(ValueError):
        psi_from_counts(np.array(reference), np.array(recent))


@pytest.mark.parametrize(
    ("reference", "bins", "edges"),
    [
        (list(range(1, 11)), 2, [5.0]),
        (list(range(0, 101)), 4, [25.0, 50.0, 75.0]),
        ([0] * 90 + [1] * 10, 10, [0.0]),  # ties collapse: one bin per distinct value
        ([0] * 50 + [1] * 30 + [2] * 20, 10, [0.0, 1.0, 2.0]),
        ([3.0] * 20, 10, [3.0]),
        ([], 10, []),
        ([float("nan"), float("inf"), 1.0, 2.0], 2, [1.0]),  # non-finite values are ignored
    ],
)
def test_quantile_edges(reference: list[float], bins: int, edges: list[float]) -> None:
    assert quantile_edges(np.array(reference), bins).tolist() == pytest.approx(edges)


def test_quantile_edges_need_two_bins() -> None:
    with pytest.raises(ValueError):
        quantile_edges(np.array([1.0]), 1)


@pytest.mark.parametrize(
    ("values", "edges", "counts"),
    [
        ([0, 0, 1, 2], [0.0], [2, 2]),  # a value equal to an edge falls in the bin it closes
        ([-5, 0, 0.5, 1, 9], [0.0, 1.0], [2, 2, 1]),
        ([1, 2, 3], [], [3]),
        ([float("nan"), 1], [0.0], [0, 1]),
    ],
)
def test_bin_counts(values: list[float], edges: list[float], counts: list[int]) -> None:
    assert bin_counts(np.array(values), np.array(edges)).tolist() == counts


def test_stability_of_the_same_distribution_is_not_flagged() -> None:
    rng = np.random.default_rng(0)
    s = stability(rng.normal(0, 1, 5000), rng.normal(0, 1, 5000))
    assert s.psi is not None and s.psi < 0.02 and not s.flagged
    assert len(s.bins) == 10 and s.bins[-1].upper is None
    assert sum(b.reference_share for b in s.bins) == pytest.approx(1.0)
    assert (s.reference_count, s.recent_count) == (5000, 5000)


def test_stability_of_a_shifted_distribution_is_flagged() -> None:
    rng = np.random.default_rng(1)
    s = stability(rng.normal(0, 1, 5000), rng.normal(1, 1, 5000))
    assert s.psi is not None and s.psi > 0.2 and s.flagged


def test_stability_of_a_discrete_feature_keeps_a_bin_per_value() -> None:
    reference = np.array([0] * 900 + [1] * 100)
    recent = np.array([0] * 500 + [1] * 500)
    s = stability(reference, recent)
    assert [b.upper for b in s.bins] == [0.0, None]
    assert [(b.reference_share, b.recent_share) for b in s.bins] == [(0.9, 0.5), (0.1, 0.5)]
    assert s.psi == pytest.approx((0.5 - 0.9) * math.log(0.5 / 0.9) + (0.5 - 0.1) * math.log(5))


@pytest.mark.parametrize(("n_reference", "n_recent"), [(10, 1000), (1000, 10), (0, 1000), (1000, 0)])
def test_stability_without_enough_values_has_no_index(n_reference: int, n_recent: int) -> None:
    s = stability(np.ones(n_reference), np.zeros(n_recent))
    assert s.psi is None and not s.flagged
    assert (s.reference_count, s.recent_count) == (n_reference, n_recent)
