"""Routing: product type → an ordered chain of providers, each behind its circuit breaker.

A payout goes to the first provider whose breaker allows a call. It moves on to the next one only
when the provider certainly executed nothing (its breaker is open, or it answered 503 / could not
be connected to). After an ambiguous outcome (timeout, 5xx, unresolved status) it never moves on:
that could pay twice. The UNKNOWN outcome names the provider, and the caller resolves it later
with `status(product_type, order_id)` (or that provider's `status`), not by paying through the
router again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from providers.base import (
    REASON_CIRCUIT_OPEN,
    REASON_NOT_FOUND,
    Fault,
    OutcomeState,
    PayoutOutcome,
    PayoutProvider,
    PayoutRequest,
    ProductType,
)
from providers.circuit import CircuitBreaker


@dataclass(frozen=True, slots=True)
class Route:
    provider: PayoutProvider
    breaker: CircuitBreaker


def _is_provider_failure(outcome: PayoutOutcome) -> bool:
    """Counts against the breaker: the provider was down or gave no usable answer."""
    return outcome.state is OutcomeState.UNKNOWN and outcome.fault in (
        Fault.UNAVAILABLE,
        Fault.AMBIGUOUS,
    )


class Router:
    def __init__(self, routes: Mapping[ProductType, Sequence[Route]]) -> None:
        self._routes = {product: tuple(chain) for product, chain in routes.items()}

    def chain(self, product_type: ProductType) -> tuple[Route, ...]:
        chain = self._routes.get(product_type)
        if not chain:
            raise LookupError(f"no provider for {product_type.value}")
        return chain

    def provider(self, name: str) -> PayoutProvider:
        for chain in self._routes.values():
            for route in chain:
                if route.provider.name == name:
                    return route.provider
        raise LookupError(f"no provider named {name}")

    async def pay(self, request: PayoutRequest) -> PayoutOutcome:
        chain = self.chain(request.product_type)
        last: PayoutOutcome | None = None
        for route in chain:
            if not route.breaker.allow():
                last = PayoutOutcome(
                    OutcomeState.UNKNOWN,
                    route.provider.name,
                    reason=REASON_CIRCUIT_OPEN,
                    fault=Fault.UNAVAILABLE,
                )
                continue
            outcome = await route.provider.pay(request)
            if _is_provider_failure(outcome):
                route.breaker.record_failure()
            else:
                route.breaker.record_success()
            if not outcome.safe_to_fail_over:
                return outcome
            last = outcome
        assert last is not None  # the chain is never empty
        return last

    async def status(self, product_type: ProductType, order_id: str) -> PayoutOutcome:
        """Asks every provider of the chain: the first one that knows the order answers.

        Breakers are not consulted (a status query pays nothing). When none knows it but one
        could not answer, that UNKNOWN comes back (not_found elsewhere proves nothing about it);
        not_found only when every provider says so.
        """
        unresolved: PayoutOutcome | None = None
        not_found: PayoutOutcome | None = None
        for route in self.chain(product_type):
            outcome = await route.provider.status(order_id)
            if outcome.state is not OutcomeState.UNKNOWN:
                return outcome
            if outcome.reason == REASON_NOT_FOUND:
                not_found = not_found or outcome
            else:
                unresolved = unresolved or outcome
        result = unresolved or not_found
        assert result is not None  # the chain is never empty
        return result
