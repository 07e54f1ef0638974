"""Rate limits of the partner API: a token bucket per API key, and one per client network for
failed authentication. Pure: time comes from an injected clock, nothing awaits.

A bucket holds up to `burst` tokens and gains `per_s` tokens a second; each request takes one,
and a request that finds less than one token is refused (429) with the whole seconds until one
is back (`Retry-After`, at least 1).

The buckets live in the API process. With N API nodes behind a load balancer a key may make up
to N × the limit: each node counts only what reaches it. That is acceptable because the limit
protects the nodes (each node's share of the load is what it admits) and Kafka intake, which
scales with the nodes, rather than enforcing a commercial quota; with round-robin balancing
each node sees about 1/N of a key's traffic, so a key is refused at about N × per_s, and an
operator who wants the per-key figure exact divides the settings by N. Sharing one exact count
needs a shared store (e.g. Redis INCR per key and second) on every request's path: a network
round trip per request that this design avoids.

Memory is bounded: a bucket left alone long enough to refill completely behaves exactly like
a bucket that does not exist, so it is dropped (oldest first, amortized O(1) per request); and
at most `max_buckets` are kept at all (the least recently used goes first, so under a flood of
new keys or addresses an old one may come back with a full bucket: lenient, never wrongly
strict).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RateLimit:
    per_s: float  # tokens added per second: the sustained rate
    burst: int  # bucket size: how many requests may come at once after a quiet spell

    def __post_init__(self) -> None:
        if not self.per_s > 0 or not math.isfinite(self.per_s):
            raise ValueError("per_s must be a positive number")
        if self.burst < 1:
            raise ValueError("burst must be at least 1")


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int  # the bucket size
    remaining: int  # whole tokens left after this request
    reset_s: int  # whole seconds until the bucket is full again (0: full)
    retry_after_s: int  # refused: whole seconds (≥ 1) until a token is back; allowed: 0

    def headers(self) -> dict[str, str]:
        """The RateLimit header fields (IETF httpapi draft) every partner response carries."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
        }


class _Bucket:
    __slots__ = ("at", "tokens")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens = tokens
        self.at = at


class RateLimiter:
    """Token buckets by key (any string), least recently used first."""

    def __init__(self, limit: RateLimit, clock: Clock = time.monotonic, max_buckets: int = 100_000) -> None:
        if max_buckets < 1:
            raise ValueError("max_buckets must be at least 1")
        self.limit = limit
        self._clock = clock
        self._max = max_buckets
        self._refill_s = limit.burst / limit.per_s  # idle this long: full, same as no bucket
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> Verdict:
        """Take one token for `key`, if there is one."""
        now = self._clock()
        self._evict_idle(now)
        rate, burst = self.limit.per_s, self.limit.burst
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            tokens = float(burst)
        else:  # a clock that stepped back adds nothing (and takes nothing)
            tokens = min(float(burst), bucket.tokens + max(0.0, now - bucket.at) * rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = _Bucket(tokens, now)  # to the end: the most recently used
        while len(self._buckets) > self._max:
            self._buckets.popitem(last=False)
        retry = 0 if allowed else max(1, _whole_seconds((1.0 - tokens) / rate))
        return Verdict(allowed, burst, int(tokens), _whole_seconds(max(0.0, burst - tokens) / rate), retry)

    def _evict_idle(self, now: float) -> None:
        buckets = self._buckets
        while buckets:
            oldest = next(iter(buckets.values()))
            if now - oldest.at < self._refill_s:
                return
            buckets.popitem(last=False)


def _whole_seconds(seconds: float) -> int:
    """Rounded up, but 4.000000000000001 (float noise) is 4."""
    return math.ceil(seconds - 1e-9)


def network_of(ip: str) -> str:
    """The unit one client is counted by: an IPv4 address, or an IPv6 /64 (one subscriber
    usually holds a whole /64, so counting single IPv6 addresses would count nothing)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64] or "-"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


DEFAULT_PER_KEY = RateLimit(per_s=100.0, burst=200)
DEFAULT_FAILED_AUTH = RateLimit(per_s=10.0, burst=100)


class EdgeRateLimits:
    """What the partner API counts: requests per API key (after authentication), and failed
    authentications per client network (floods of bad or guessed keys)."""

    def __init__(
        self,
        per_key: RateLimit = DEFAULT_PER_KEY,
        failed_auth: RateLimit = DEFAULT_FAILED_AUTH,
        clock: Clock = time.monotonic,
        max_buckets: int = 100_000,
    ) -> None:
        self.per_key = RateLimiter(per_key, clock, max_buckets)
        self.failed_auth = RateLimiter(failed_auth, clock, max_buckets)

    def for_key(self, key_hash: str) -> Verdict:
        return self.per_key.take(key_hash)

    def for_failed_auth(self, client_ip: str) -> Verdict:
        return self.failed_auth.take(network_of(client_ip))
