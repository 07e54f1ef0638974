"""The product catalog as every process holds it: a replica of the compacted
`catalog.products` topic (single partition, keyed by product id), and the staff-side writer.

Why staff edits write the record directly instead of going through a command agent: products
are a handful of rare staff edits, not a stream. Each save is a full record with a version,
written by an idempotent producer (a retry never duplicates or reorders it). The version check
runs against this node's replica, so two staff members saving the same product at the same
instant on two API nodes could both pass it; the later record wins (a lost edit, never corrupt
data), and the audit trail shows both. Should that ever matter, the same records can come from
a single-writer agent instead without changing any reader.
"""

from __future__ import annotations

import asyncio

from aiokafka import ConsumerRecord

from domain.catalog import Catalog, Product, ProductRevision
from streams.catalog_messages import decode_product_revision, encode_product_revision
from streams.feeds import TopicTail
from streams.healing_producer import RecordWriter


class ProductDirectory:
    """Products by id. Dispatch and the partner API only call `get`; staff see revisions."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._revisions: dict[str, ProductRevision] = {}
        self._tail = TopicTail(bootstrap, {topic: 1}, self._on_record, from_beginning=True)

    def _on_record(self, record: ConsumerRecord) -> None:
        self.remember(decode_product_revision(record.value))

    def remember(self, revision: ProductRevision) -> None:
        """Keep the newest version: a node's own save is applied before its record arrives."""
        known = self._revisions.get(revision.product.id)
        if known is None or revision.version >= known.version:
            self._revisions[revision.product.id] = revision

    def get(self, product_id: str) -> Product | None:
        revision = self._revisions.get(product_id)
        return revision.product if revision is not None else None

    def all(self) -> list[Product]:
        return [r.product for r in self.revisions()]

    def revision(self, product_id: str) -> ProductRevision | None:
        return self._revisions.get(product_id)

    def revisions(self) -> list[ProductRevision]:
        return sorted(self._revisions.values(), key=lambda r: r.product.id)

    def catalog(self) -> Catalog:
        return Catalog(tuple(self.all()))

    async def start(self, timeout: float = 30.0) -> None:
        """Returns once everything already on the topic has been read."""
        await self._tail.start()
        await asyncio.wait_for(self._tail.caught_up.wait(), timeout)

    async def stop(self) -> None:
        await self._tail.stop()


class KafkaProductStore:
    """Saves product revisions: durable on the topic when `save` returns, and at once visible
    in this node's directory (read-your-writes)."""

    def __init__(self, producer: RecordWriter, topic: str, directory: ProductDirectory) -> None:
        self._producer = producer  # must be idempotent (enable_idempotence=True, acks="all")
        self._topic = topic
        self._directory = directory

    async def save(self, revision: ProductRevision) -> None:
        await self._producer.send_and_wait(
            self._topic, encode_product_revision(revision), key=revision.product.id.encode()
        )
        self._directory.remember(revision)

