"""What a transactional processor does when its producer is fenced.

`ProducerFenced` (aiokafka maps INVALID_PRODUCER_EPOCH to it) has two causes that the client
cannot tell apart: a newer instance started with the same transactional id, or the broker
aborted one of our transactions because it outlived `transaction_timeout_ms`, e.g. while a
restarted broker answered NotEnoughReplicas for a minute (the soak, docs/reliability.md).
Stopping on the first one left processors dead after a broker restart while the process stayed
up. Reopening is right for the second cause and, for the first, fences the other instance back,
so two instances with one id would take turns forever: after `limit` fences within `window_s`
the processor stops, as a misconfiguration (duplicate worker ids) should.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class FenceWatch:
    def __init__(
        self, limit: int = 3, window_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._fences: deque[float] = deque()

    def too_many(self) -> bool:
        """Records a fence; True when it is more than `limit` within the window: stop."""
        now = self._clock()
        self._fences.append(now)
        while self._fences and self._fences[0] < now - self._window_s:
            self._fences.popleft()
        return len(self._fences) > self._limit
