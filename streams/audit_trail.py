"""The AuditTrail port on Kafka: audit events go to audit.events, keyed by company.

The audit agent that owns the partition chains them; the event id is deterministic, so a
caller that retries after an error cannot record one action twice.
"""

from __future__ import annotations

from domain.audit import AuditEvent
from domain.audit_chain import canonical_event
from streams.acknowledged import acknowledged
from streams.audit_messages import encode_audit_event
from streams.outbox import RecordSender


class KafkaAuditTrail:
    def __init__(self, producer: RecordSender, topic: str, timeout_s: float = 10.0) -> None:
        self._producer = producer
        self._topic = topic
        self._timeout_s = timeout_s

    async def record(self, event: AuditEvent) -> None:
        """Returns once the broker has the event (the producer uses acks=all) or, through a
        KafkaOutbox (the key-use events of the API edge), once the broker or the spool has it."""
        # Refuse here what the chain could not hash (naive time, non-JSON details), so the
        # caller sees the error instead of the audit agent skipping the event later.
        canonical_event(event)
        key = (event.company_id or "-").encode()
        # A staff action done but not on the record yet is a 503: the same request again (its
        # command answered from the idempotency store) records it then.
        await acknowledged(self._producer.send_and_wait(self._topic, encode_audit_event(event), key=key),
                           "The audit record", self._timeout_s)  # fmt: skip
