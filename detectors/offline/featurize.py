"""Features over a whole file in time order, with the stream's code, in micro-batches.

Every order from the first line feeds the state (April warms the windows up); only the rows
inside the requested period are kept, with what the metrics need (line, time, end user, label).
Frauds seen anywhere before the period's end are kept too: the backtest uses them to leave out
end users already known as defrauded.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detectors.features.facts import OrderFacts
from detectors.features.names import FEATURE_NAMES
from detectors.features.state import FeatureState
from detectors.offline.dataset import Period, read_facts

BATCH = 4096


@dataclass(frozen=True, slots=True)
class Featurized:
    matrix: np.ndarray  # (rows, len(FEATURE_NAMES)) float64
    lines: np.ndarray  # int64, 0-based line of each row in the input
    at: np.ndarray  # int64 epoch seconds
    labels: np.ndarray  # int8: 1 fraud, 0 genuine, -1 unknown
    users: np.ndarray  # object: end user id per row
    frauds: tuple[tuple[int, str], ...]  # (time, end user) of every fraud read, in time order
    orders_read: int
    feature_seconds: float  # time in the feature code alone (parsing excluded)

    @property
    def orders_per_second(self) -> float:
        return self.orders_read / self.feature_seconds if self.feature_seconds else 0.0


def featurize_file(path: Path, period: Period, token_key: bytes, label_delay: int) -> Featurized:
    return featurize(read_facts(path, token_key, until=period.end), period, label_delay)


def featurize(records: Iterable[tuple[int, OrderFacts]], period: Period, label_delay: int) -> Featurized:
    # The state holds millions of small lists and no reference cycles: the cyclic collector
    # would only rescan them again and again, so it is paused for the run.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _featurize(records, period, label_delay)
    finally:
        if collecting:
            gc.enable()


def _featurize(records: Iterable[tuple[int, OrderFacts]], period: Period, label_delay: int) -> Featurized:
    state = FeatureState(label_delay)
    start, end = period.start, period.end
    blocks: list[np.ndarray] = []
    lines: list[int] = []
    at: list[int] = []
    labels: list[int] = []
    users: list[str] = []
    frauds: list[tuple[int, str]] = []
    spent = 0.0
    read = 0
    batch_lines: list[int] = []
    batch: list[OrderFacts] = []

    def flush() -> None:
        nonlocal spent, read
        began = time.perf_counter()
        matrix = state.update_and_compute(batch)
        spent += time.perf_counter() - began
        read += len(batch)
        keep = [i for i, f in enumerate(batch) if start <= f.at < end]
        if keep:
            blocks.append(matrix[keep])
            for i in keep:
                f = batch[i]
                lines.append(batch_lines[i])
                at.append(f.at)
                labels.append(-1 if f.label is None else f.label)
                users.append(f.end_user)
        batch.clear()
        batch_lines.clear()

    for number, facts in records:
        if facts.label == 1:
            frauds.append((facts.at, facts.end_user))
        batch.append(facts)
        batch_lines.append(number)
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    matrix = np.concatenate(blocks) if blocks else np.empty((0, len(FEATURE_NAMES)))
    return Featurized(
        matrix,
        np.array(lines, dtype=np.int64),
        np.array(at, dtype=np.int64),
        np.array(labels, dtype=np.int8),
        np.array(users, dtype=object),
        tuple(frauds),
        read,
        spent,
    )
