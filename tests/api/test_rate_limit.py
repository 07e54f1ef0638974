"""The token buckets of api/rate_limit.py, on a clock the tests move."""

from __future__ import annotations

import pytest

from api.rate_limit import EdgeRateLimits, RateLimit, RateLimiter, Verdict, network_of


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# (name, limit, [(seconds since start, expected verdict)], one request per step)
CASES: list[tuple[str, RateLimit, list[tuple[float, Verdict]]]] = [
    ("burst then refused", RateLimit(per_s=1.0, burst=3), [
        (0.0, Verdict(True, 3, 2, 1, 0)),
        (0.0, Verdict(True, 3, 1, 2, 0)),
        (0.0, Verdict(True, 3, 0, 3, 0)),
        (0.0, Verdict(False, 3, 0, 3, 1)),
    ]),
    ("refills at the rate", RateLimit(per_s=2.0, burst=2), [
        (0.0, Verdict(True, 2, 1, 1, 0)),
        (0.0, Verdict(True, 2, 0, 1, 0)),
        (0.1, Verdict(False, 2, 0, 1, 1)),  # 0.2 tokens: a whole second to wait, at least
        (0.5, Verdict(True, 2, 0, 1, 0)),  # 1.0 token back after 0.5 s at 2/s
        (10.0, Verdict(True, 2, 1, 1, 0)),  # long idle: full again, never more than the burst
    ]),
    ("slow rate: retry after several seconds", RateLimit(per_s=0.2, burst=1), [
        (0.0, Verdict(True, 1, 0, 5, 0)),
        (1.0, Verdict(False, 1, 0, 4, 4)),
        (4.0, Verdict(False, 1, 0, 1, 1)),
        (5.0, Verdict(True, 1, 0, 5, 0)),
    ]),
    ("fast rate: refusals still say at least one second", RateLimit(per_s=100.0, burst=1), [
        (0.0, Verdict(True, 1, 0, 1, 0)),
        (0.001, Verdict(False, 1, 0, 1, 1)),
        (0.011, Verdict(True, 1, 0, 1, 0)),
    ]),
    ("clock stepping back adds nothing", RateLimit(per_s=1.0, burst=1), [
        (5.0, Verdict(True, 1, 0, 1, 0)),
        (1.0, Verdict(False, 1, 0, 1, 1)),
    ]),
]  # fmt: skip


@pytest.mark.parametrize(("limit", "steps"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_token_bucket(limit: RateLimit, steps: list[tuple[float, Verdict]]) -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit, clock)
    start = clock.now
    for at, expected in steps:
        clock.now = start + at
        assert limiter.take("key") == expected, at


def test_keys_have_their_own_buckets() -> None:
    limiter = RateLimiter(RateLimit(1.0, 1), FakeClock())
    assert limiter.take("a").allowed and not limiter.take("a").allowed
    assert limiter.take("b").allowed


def test_idle_buckets_are_evicted_once_full_again() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimit(per_s=10.0, burst=20), clock)  # full again after 2 s
    for n in range(1000):
        limiter.take(f"key-{n}")
    assert len(limiter) == 1000
    clock.now += 1.9
    limiter.take("fresh")
    assert len(limiter) == 1001  # not yet full: still needed
    clock.now += 0.2
    limiter.take("fresh")
    assert len(limiter) == 1  # the 1000 idle ones were full: dropping them changes nothing


def test_at_most_max_buckets_least_recently_used_first() -> None:
    limiter = RateLimiter(RateLimit(per_s=1.0, burst=1), FakeClock(), max_buckets=3)
    for key in ("a", "b", "c"):
        limiter.take(key)
    limiter.take("a")  # refused, but now the most recently used
    limiter.take("d")
    assert len(limiter) == 3
    assert not limiter.take("a").allowed  # kept
    assert limiter.take("b").allowed  # evicted, back with a full bucket (lenient)


def test_headers() -> None:
    assert Verdict(False, 200, 0, 2, 1).headers() == {
        "RateLimit-Limit": "200", "RateLimit-Remaining": "0", "RateLimit-Reset": "2",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("", "-"),
        ("testclient", "testclient"),
    ],
)
def test_failed_authentications_count_per_network(ip: str, network: str) -> None:
    assert network_of(ip) == network


def test_ipv6_neighbours_share_a_failed_auth_bucket() -> None:
    limits = EdgeRateLimits(failed_auth=RateLimit(1.0, 1), clock=FakeClock())
    assert limits.for_failed_auth("2001:db8::1").allowed
    assert not limits.for_failed_auth("2001:db8::2").allowed
    assert limits.for_failed_auth("2001:db9::1").allowed


@pytest.mark.parametrize(("per_s", "burst"), [(0.0, 1), (-1.0, 1), (float("inf"), 1), (float("nan"), 1), (1.0, 0)])
def test_nonsense_limits_are_refused(per_s: float, burst: int) -> None:
    with pytest.raises(ValueError):
        RateLimit(per_s, burst)
