"""Use cases behind the order routes. Collaborators come in as ports, so tests pass fakes."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from analytics.reports.filters import TransactionFilter
from analytics.reports.transactions import Sort, TransactionKey, decode_key, encode_key
from api import errors
from api.schemas import OrderCreate
from domain.cards import CardVault
from domain.catalog import Product, RecipientField
from domain.companies import ApiKey, KeyMode
from domain.intake import Admission
from domain.money import Money
from domain.orders import (
    RESTING_STATUSES,
    BatchLineRef,
    EndUser,
    Order,
    OrderRequest,
    OrderStatus,
    Recipient,
    RecipientKind,
)


# How long a GET of an order this process does not know waits for its order feed to catch up
# (the feed is normally milliseconds behind; a 404 for a truly unknown order pays at most this).
FEED_CATCH_UP_S = 2.0


class IntakeReplyLike(Protocol):
    admission: Admission
    order: Order | None


class IntakePort(Protocol):
    async def submit(self, request: OrderRequest, timeout: float) -> IntakeReplyLike | None:
        """Publish the request and await intake's verdict; None when none came in time."""

    async def wait_for_status(
        self, order: Order, statuses: frozenset[OrderStatus], timeout: float
    ) -> Order: ...

    def recent(self, order_id: str) -> Order | None: ...

    async def caught_up(self, timeout: float) -> bool:
        """Wait until this process has read every order record published before the call
        (False when `timeout` s were not enough)."""


class OrderReader(Protocol):
    async def find(self, company_id: str, order_id: str) -> Order | None: ...

    async def page(
        self, f: TransactionFilter, after: TransactionKey | None, limit: int
    ) -> tuple[list[Order], TransactionKey | None]:
        """Orders (latest state) matching `f`, newest first, after the keyset position."""


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: list[Order]
    next_cursor: str | None


class CatalogTerms(Protocol):
    def terms_for(
        self, company_id: str, product_id: str, amount: Money, recipient: RecipientField
    ) -> Product:
        """The product on the company's terms; raises OutsideCatalog when its catalog does not
        allow the order."""


@dataclass(frozen=True, slots=True)
class OrderResponse:
    http_status: int
    order: Order
    wait_applied: float | None = None


def new_request_id(now: datetime) -> str:
    """32 hex chars: 12 of milliseconds since the epoch, then 80 random bits; sorts by time."""
    return f"{int(now.timestamp() * 1000):012x}{os.urandom(10).hex()}"


class OrderService:
    def __init__(
        self,
        intake: IntakePort,
        reader: OrderReader,
        vault: CardVault,
        reply_timeout_s: float,
        max_wait_s: float,
        catalog: CatalogTerms,
    ) -> None:
        self._intake = intake
        self._reader = reader
        self._vault = vault
        self._catalog = catalog
        self._reply_timeout_s = reply_timeout_s
        self._max_wait_s = max_wait_s

    async def create(
        self,
        key: ApiKey,
        idempotency_key: str,
        body: OrderCreate,
        wait_s: float | None,
        request_id: str,
        now: datetime,
    ) -> OrderResponse:
        request = self._to_request(key, idempotency_key, body, request_id, now)
        started = time.monotonic()
        reply = await self._intake.submit(request, self._reply_timeout_s)
        if reply is None:
            raise errors.intake_unavailable()
        if reply.admission is Admission.CONFLICT or reply.order is None:
            raise errors.idempotency_conflict(idempotency_key)
        order = reply.order
        if reply.admission is Admission.REPLAYED:
            # Intake's copy is the order as first decided; later steps moved it on since.
            stored = await self._reader.find(key.company_id, order.id)
            if stored is not None and stored.version > order.version:
                order = stored
        status = 201 if reply.admission is Admission.CREATED else 200
        wait = 0.0 if wait_s is None else min(wait_s, self._max_wait_s)
        remaining = max(0.0, wait - (time.monotonic() - started))
        # With no wait this returns at once, with the newest state this node has seen.
        order = await self._intake.wait_for_status(order, RESTING_STATUSES, remaining)
        if wait_s is None:
            return OrderResponse(status, order)
        return OrderResponse(202 if order.status not in RESTING_STATUSES else status, order, wait)

    async def get(self, company_id: str, order_id: str) -> Order:
        """The newest of what this process's order feed has seen and what the read model holds.
        The feed answers right after creation, before the sink has stored the order; an order it
        shows in flight is also read from the read model, since a feed that falls behind must not
        hide a newer state (the soak saw one show `dispatched` for 15 min after completion)."""
        order = await self._newest(company_id, order_id)
        if order is None and await self._intake.caught_up(FEED_CATCH_UP_S):
            # Another API process may have answered the POST a moment ago: the order is then on
            # its way to this process's feed, and reaches the read model only at the sink's next
            # flush. Behind a load balancer a partner's GET right after its POST lands here.
            order = await self._newest(company_id, order_id)
        if order is None or order.company_id != company_id:
            raise errors.not_found("No such order for this key")
        return order

    async def _newest(self, company_id: str, order_id: str) -> Order | None:
        order = self._intake.recent(order_id)
        if order is None or not order.status.is_terminal:
            stored = await self._reader.find(company_id, order_id)
            if stored is not None and (order is None or stored.version > order.version):
                order = stored
        return order

    async def list_orders(self, company_id: str, f: TransactionFilter, cursor: str | None, limit: int) -> OrderPage:
        """The company's orders matching `f` (whatever companies it names), newest first; a
        cursor this API did not hand out is InvalidCursor (400)."""
        sort = Sort()  # created_at, newest first
        after = None if cursor is None else decode_key(sort, cursor)
        orders, next_key = await self._reader.page(replace(f, company_ids=(company_id,)), after, limit)
        return OrderPage([o for o in orders if o.company_id == company_id], encode_key(sort, next_key))

    def delivery(self, order: Order, company_id: str) -> dict[str, Any] | None:
        """What the provider delivered (gift code, card details), in clear for the owner only."""
        if order.delivery is None or order.company_id != company_id:
            return None
        opened = orjson.loads(self._vault.reveal(order.delivery))
        return opened if isinstance(opened, dict) else None

    def prepare(
        self, key: ApiKey, idempotency_key: str, body: OrderCreate, request_id: str, now: datetime,
        batch: BatchLineRef | None = None,
    ) -> OrderRequest:  # fmt: skip
        """The request `create` would submit for `body`: checked against the company's catalog
        (OutsideCatalog, 422, naming the field), its card tokenized. A mass payout prepares each
        of its lines so, with the line it came from."""
        return replace(self._to_request(key, idempotency_key, body, request_id, now), batch=batch)

    def _to_request(
        self, key: ApiKey, idempotency_key: str, body: OrderCreate, request_id: str, now: datetime
    ) -> OrderRequest:
        amount = Money(body.amount.value, body.amount.currency)
        # Refused here, before anything is written: an order outside the catalog never exists.
        product = self._catalog.terms_for(key.company_id, body.product_id, amount, _recipient_field(body))
        canonical = orjson.dumps(body.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
        return OrderRequest(
            request_id=request_id,
            company_id=key.company_id,
            idempotency_key=idempotency_key,
            body_hash=self._vault.keyed_hash(canonical),
            product_id=body.product_id,
            amount=amount,
            recipient=self._recipient(body),
            end_user=EndUser(
                body.end_user.id, body.end_user.ip, body.end_user.device_id, body.end_user.email
            ),
            received_at=now.astimezone(UTC),
            external_id=body.external_id,
            metadata=dict(body.metadata),
            sandbox=key.mode is KeyMode.TEST,
            fee=product.fee.on(amount.value),
            product_type=product.type.value,
        )

    def _recipient(self, body: OrderCreate) -> Recipient:
        r = body.recipient
        if r.card_number is not None:
            card = self._vault.protect(r.card_number)
            return Recipient(
                RecipientKind.CARD, card_token=card.token, card_bin=card.bin,
                card_last4=card.last4, card_ciphertext=card.ciphertext,
            )  # fmt: skip
        if r.phone is not None:
            return Recipient(RecipientKind.PHONE, phone=r.phone)
        return Recipient(RecipientKind.EMAIL, email=r.email)


def _recipient_field(body: OrderCreate) -> RecipientField:
    r = body.recipient
    if r.card_number is not None:
        return RecipientField.CARD_NUMBER
    return RecipientField.PHONE if r.phone is not None else RecipientField.EMAIL
