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


def _not_found(outcome: PayoutOutcome) -> bool:
    """The provider answered that it does not know the order: it never executed it."""
    return outcome.state is OutcomeState.UNKNOWN and outcome.reason == REASON_NOT_FOUND


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
        last: PayoutOutcome | None = None
        for route in self.chain(request.product_type):
            outcome = await self._pay_at(route, request)
            if not outcome.safe_to_fail_over:
                return outcome
            last = outcome
        assert last is not None  # the chain is never empty
        return last

    async def pay_unless_known(self, request: PayoutRequest) -> PayoutOutcome:
        """Pays an order that may have been tried before (a redelivery after a crash, an earlier
        ambiguous call), never twice, asking no more than that needs.

        Every call carries the order id as its idempotency key, so a provider that executed the
        order before answers a repeated pay with what it did (or 409 idempotency_mismatch, which
        `pay` resolves by status). So only the providers this pay would NOT call first can hold
        an earlier attempt unseen (one it failed over to): those are asked first. And before
        failing over from a provider, that provider is asked whether it knows the order (an
        earlier attempt may have reached it, though this call did not); only not_found lets the
        payout move on. A card transfer takes 2 calls (status at B, pay at A) where asking
        every provider and then paying took 3; a single-provider product 1 instead of 2.
        """
        chain = self.chain(request.product_type)
        for route in chain[1:]:
            outcome = await route.provider.status(request.order_id)
            if not _not_found(outcome):
                return outcome  # known there, or unanswered: the caller follows it by status
        last: PayoutOutcome | None = None
        for index, route in enumerate(chain):
            if index > 0:  # failing over from the previous provider: did an earlier try reach it?
                previous = await chain[index - 1].provider.status(request.order_id)
                if not _not_found(previous):
                    return previous
            outcome = await self._pay_at(route, request)
            if not outcome.safe_to_fail_over:
                return outcome
            last = outcome
        assert last is not None  # the chain is never empty
        return last

    async def _pay_at(self, route: Route, request: PayoutRequest) -> PayoutOutcome:
        if not route.breaker.allow():
            return PayoutOutcome(
                OutcomeState.UNKNOWN, route.provider.name, reason=REASON_CIRCUIT_OPEN,
                fault=Fault.UNAVAILABLE,
            )  # fmt: skip
        outcome = await route.provider.pay(request)
        if _is_provider_failure(outcome):
            route.breaker.record_failure()
        else:
            route.breaker.record_success()
        return outcome

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
