"""Population stability index (PSI): how far a recent distribution moved from a reference one.

Bins are the reference's deciles (observed values, unique, so a feature with few distinct values gets
one bin per value instead of empty duplicates); each bin is the interval (lower, upper], the
first open below and the last open above, so a value equal to an edge falls in the bin it
closes and a discrete value such as 0 keeps a bin of its own. Empty bins are smoothed with a
small floor share: without it one empty bin makes the index infinite.

PSI = Σ (recent − reference) · ln(recent / reference) over the bins' shares. Usual reading:
below 0.1 stable, 0.1–0.2 moderate shift, above 0.2 a significant shift (flagged).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FLAG_ABOVE = 0.2
DEFAULT_BINS = 10
FLOOR_SHARE = 1e-4  # the share an empty bin counts as
MIN_SAMPLE = 50  # fewer values on either side: no index (it would be noise)


@dataclass(frozen=True, slots=True)
class Bin:
    upper: float | None  # inclusive upper edge; None: the last bin, open above
    reference_share: float
    recent_share: float


@dataclass(frozen=True, slots=True)
class Stability:
    """One distribution's comparison. `psi` is None when either side had too few values."""

    psi: float | None
    flagged: bool
    reference_count: int
    recent_count: int
    bins: tuple[Bin, ...]


def quantile_edges(reference: np.ndarray, bins: int = DEFAULT_BINS) -> np.ndarray:
    """Inner edges (at most bins − 1, unique, ascending) from the reference's quantiles."""
    if bins < 2:
        raise ValueError("at least 2 bins")
    values = _finite(reference)
    if len(values) == 0:
        return np.empty(0)
    # Edges are observed values (no interpolation): a 0/1 feature gets the edge 0, not 0.1.
    inner = np.quantile(values, np.linspace(0.0, 1.0, bins + 1)[1:-1], method="inverted_cdf")
    return np.unique(inner)


def bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin (len(edges) + 1) of the finite values: (−inf, e0], (e0, e1], …, (ek, inf)."""
    finite = _finite(values)
    index = np.searchsorted(edges, finite, side="left")
    return np.bincount(index, minlength=len(edges) + 1).astype(np.int64)


def psi_from_counts(reference: np.ndarray, recent: np.ndarray, floor: float = FLOOR_SHARE) -> float:
    """The index of two count vectors over the same bins (both must have a positive total)."""
    ref, rec = np.asarray(reference, dtype=np.float64), np.asarray(recent, dtype=np.float64)
    if ref.shape != rec.shape or ref.ndim != 1:
        raise ValueError("the two count vectors must have the same bins")
    if ref.sum() <= 0 or rec.sum() <= 0:
        raise ValueError("both sides need at least one value")
    p = np.maximum(ref / ref.sum(), floor)
    q = np.maximum(rec / rec.sum(), floor)
    return float(np.sum((q - p) * np.log(q / p)))


def stability(
    reference: np.ndarray, recent: np.ndarray, bins: int = DEFAULT_BINS, min_sample: int = MIN_SAMPLE,
    flag_above: float = FLAG_ABOVE,
) -> Stability:  # fmt: skip
    """Bins from the reference's deciles, both sides counted in them, and the index."""
    ref, rec = _finite(reference), _finite(recent)
    edges = quantile_edges(ref, bins) if len(ref) else np.empty(0)
    ref_counts, rec_counts = bin_counts(ref, edges), bin_counts(rec, edges)
    shares = [
        Bin(float(upper) if upper is not None else None, _share(rc, len(ref)), _share(nc, len(rec)))
        for upper, rc, nc in zip([*edges.tolist(), None], ref_counts.tolist(), rec_counts.tolist(), strict=True)
    ]
    if len(ref) < min_sample or len(rec) < min_sample:
        return Stability(None, False, len(ref), len(rec), tuple(shares))
    psi = psi_from_counts(ref_counts, rec_counts)
    return Stability(psi, psi > flag_above, len(ref), len(rec), tuple(shares))


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _finite(values: np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).ravel()
    return array[np.isfinite(array)]
