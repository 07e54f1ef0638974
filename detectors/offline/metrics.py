"""The handbook's test protocol and metrics: known-defrauded end users left out, AUC, AP, CP@k."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from detectors.features.windows import DAY


def known_defrauded(
    at: np.ndarray,
    users: np.ndarray,
    frauds: Iterable[tuple[int, str]],
    known_from: int,
    label_delay: int,
) -> np.ndarray:
    """Rows whose end user was already known as defrauded on the row's day.

    As the handbook: known are the end users with a fraud from `known_from` (the book: the
    start of training) up to `delay` days before the test day (the labels an analyst would
    have by then). Frauds before `known_from` are not counted (the book's state starts there).
    """
    first_fraud_day: dict[str, int] = {}
    start = known_from
    for when, user in frauds:
        if when >= start and user not in first_fraud_day:
            first_fraud_day[user] = when // DAY
    delay_days = label_delay // DAY
    days = at // DAY
    out = np.zeros(len(at), dtype=bool)
    for i, (day, user) in enumerate(zip(days.tolist(), users.tolist())):
        known = first_fraud_day.get(user)
        if known is not None and known <= day - delay_days - 1:
            out[i] = True
    return out


def card_precision_at_k(at: np.ndarray, users: np.ndarray, labels: np.ndarray, scores: np.ndarray, k: int = 100) -> float:
    """Per day: each end user's highest score, the top k end users, the share that were
    defrauded that day; averaged over days (the handbook's card precision@k)."""
    days = at // DAY
    precisions = []
    for day in np.unique(days):
        rows = days == day
        best: dict[str, tuple[float, int]] = {}
        for user, score, label in zip(users[rows].tolist(), scores[rows].tolist(), labels[rows].tolist()):
            s, y = best.get(user, (-np.inf, 0))
            best[user] = (max(s, score), max(y, label))
        top = sorted(best.values(), key=lambda sy: -sy[0])[:k]
        precisions.append(sum(y for _, y in top) / k)
    return float(np.mean(precisions)) if precisions else 0.0


def evaluate(
    at: np.ndarray, users: np.ndarray, labels: np.ndarray, scores: np.ndarray, verdicts: list[str], k: int = 100
) -> dict[str, Any]:
    """Metrics over rows with a known label; decision counts over every row given."""
    known = labels >= 0
    y, s = labels[known], scores[known]
    both = len(np.unique(y)) == 2
    return {
        "orders": int(len(labels)),
        "labelled": int(known.sum()),
        "frauds": int((y == 1).sum()),
        "roc_auc": float(roc_auc_score(y, s)) if both else None,
        "average_precision": float(average_precision_score(y, s)) if both else None,
        f"card_precision_at_{k}": card_precision_at_k(at[known], users[known], y, s, k),
        # What a perfect ranking would reach: with few defrauded end users a day, CP@k is capped.
        f"card_precision_at_{k}_best_possible": card_precision_at_k(at[known], users[known], y, y.astype(float), k),
        "decisions": dict(sorted(Counter(verdicts).items())),
    }
