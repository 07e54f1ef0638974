"""Streaming feature state: feed orders in time order, get each order's features before it counts.

One company state per company (the stream keeps it in the worker that owns the company's
partition; the offline commands keep one per company of the file). `FeatureState` routes a
micro-batch to them and returns a matrix whose columns are `FEATURE_NAMES`.

The company state is `detectors.features.compiled.CompanyFeatures` (a numba kernel per batch);
`compiled=False` (or numba unusable) uses `PythonCompanyFeatures`, the order-by-order
definition it reproduces to the bit.

Labels respect the delay: an order's label (fraud or not) joins its recipient's risk counters
only once the order is `delay` seconds old, as the handbook's delayed terminal risk; a newer
label changes nothing. Offline files carry the label on the order; in the stream an analyst
labels an order later (`label`), and that label counts if it came before the order matured.
An order never labelled matures as legitimate.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from detectors.features.facts import OrderFacts
from detectors.features.names import FEATURE_NAMES
from detectors.features.python_state import PythonCompanyFeatures
from detectors.features.windows import DEFAULT_LABEL_DELAY

log = logging.getLogger(__name__)
_WIDTH = len(FEATURE_NAMES)

from detectors.features.compiled import CompanyFeatures, warm_up  # numba: imported on first use

__all__ = ["DEFAULT_LABEL_DELAY", "CompanyFeatures", "FeatureState", "PythonCompanyFeatures", "not_before_clock"]


class FeatureState:
    """All companies' state; what the stream agent and the offline commands call per batch."""

    def __init__(self, label_delay: int = DEFAULT_LABEL_DELAY, compiled: bool = True) -> None:
        self.label_delay = label_delay
        self._make: Any = PythonCompanyFeatures
        if compiled:
            try:
                warm_up()
                self._make = CompanyFeatures
            except (ImportError, RuntimeError) as e:  # numba missing, or no writable cache directory
                log.warning("feature kernel unavailable (%s): the Python feature state serves (~4× slower)", e)
        self._companies: dict[str, Any] = {}

    def company(self, company_id: str) -> Any:
        """The company's state (`CompanyFeatures` or `PythonCompanyFeatures`: same methods)."""
        state = self._companies.get(company_id)
        if state is None:
            state = self._companies[company_id] = self._make(self.label_delay)
        return state

    def update_and_compute(self, orders: Sequence[OrderFacts]) -> np.ndarray:
        """A (len(orders), len(FEATURE_NAMES)) float matrix; orders in time order per company."""
        n = len(orders)
        out = np.empty((n, _WIDTH), dtype=np.float64)
        i = 0
        while i < n:
            company_id = orders[i].company_id
            j = i + 1
            while j < n and orders[j].company_id == company_id:
                j += 1
            self.company(company_id).rows(orders[i:j], out[i:j])
            i = j
        return out


def not_before_clock(features: FeatureState, clocks: dict[str, int], company_id: str, at: int) -> int:
    """The time an order of `company_id` at `at` is fed at: never before its company's clock,
    as features need time order per company. `clocks` carries each company's clock over orders
    given but not fed yet (a batch being built); this updates it. The live path
    (detectors.engine.stream_facts) and the replay of logged facts both clamp with this."""
    clock = clocks.get(company_id)
    if clock is None:
        clock = features.company(company_id).clock
    if at < clock:
        at = clock
    clocks[company_id] = at
    return at
