from __future__ import annotations

from providers.circuit import CircuitBreaker, CircuitState


def state(breaker: CircuitBreaker) -> CircuitState:
    return breaker.state  # a call, so mypy does not narrow the property across transitions


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_consecutive_failures_only() -> None:
    breaker = CircuitBreaker(failure_threshold=3, cool_down_s=10, clock=Clock())
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # resets the count
    breaker.record_failure()
    breaker.record_failure()
    assert state(breaker) is CircuitState.CLOSED and breaker.allow()
    breaker.record_failure()
    assert state(breaker) is CircuitState.OPEN and not breaker.allow()


def test_half_open_after_cool_down_lets_one_probe_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, cool_down_s=10, clock=clock)
    breaker.record_failure()
    clock.now += 9.9
    assert state(breaker) is CircuitState.OPEN and not breaker.allow()
    clock.now += 0.1
    assert state(breaker) is CircuitState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()  # one probe at a time


def test_probe_success_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, cool_down_s=5, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.now += 5
    assert breaker.allow()
    breaker.record_success()
    assert state(breaker) is CircuitState.CLOSED and breaker.consecutive_failures == 0
    assert breaker.allow() and breaker.allow()


def test_probe_failure_reopens_for_a_fresh_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, cool_down_s=5, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.now += 5
    assert breaker.allow()
    breaker.record_failure()
    assert state(breaker) is CircuitState.OPEN and not breaker.allow()
    clock.now += 5
    assert state(breaker) is CircuitState.HALF_OPEN and breaker.allow()
