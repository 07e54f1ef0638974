"""The handbook's protocol: known-defrauded end users left out, card precision@k per day."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from detectors.offline.dataset import Period
from detectors.offline.metrics import card_precision_at_k, evaluate, known_defrauded

DAY = 86400
TRAIN = Period(date(2018, 5, 1), date(2018, 5, 7))
D0 = TRAIN.start // DAY  # day number of 2018-05-01


@pytest.mark.parametrize(
    ("fraud_day", "test_day", "left_out"),
    [
        (D0 + 3, D0 + 15, True),  # defrauded in training
        (D0 - 1, D0 + 15, False),  # before training: the book's state does not know it
        (D0 + 7, D0 + 15, True),  # the gap's day: label 8 days old on the test day
        (D0 + 8, D0 + 15, False),  # 7 days before: its label is not in yet
        (D0 + 8, D0 + 16, True),
    ],
)
def test_known_defrauded_end_users(fraud_day: int, test_day: int, left_out: bool) -> None:
    at = np.array([test_day * DAY + 3600])
    out = known_defrauded(at, np.array(["u"], dtype=object), [(fraud_day * DAY + 60, "u")], TRAIN.start, 7 * DAY)
    assert out.tolist() == [left_out]


def test_card_precision_takes_each_users_best_score_per_day() -> None:
    at = np.array([0, 10, 20, 30, DAY, DAY + 1])
    users = np.array(["a", "a", "b", "c", "a", "b"], dtype=object)
    labels = np.array([0, 1, 0, 0, 0, 1])
    scores = np.array([0.9, 0.1, 0.8, 0.2, 0.7, 0.6])
    # Day 0: a (0.9, defrauded that day), b: top 2 → 1 of 2. Day 1: a, b: top 2 → 1 of 2.
    assert card_precision_at_k(at, users, labels, scores, k=2) == 0.5


def test_evaluate_counts_decisions_and_skips_unlabelled_rows() -> None:
    labels = np.array([0, 1, -1, 0])
    m = evaluate(np.zeros(4, dtype=np.int64), np.array(list("abcd"), dtype=object), labels,
                 np.array([0.1, 0.9, 0.5, 0.2]), ["approved", "declined", "in_review", "approved"])  # fmt: skip
    assert m["roc_auc"] == 1.0 and m["labelled"] == 3
    assert m["decisions"] == {"approved": 2, "declined": 1, "in_review": 1}
