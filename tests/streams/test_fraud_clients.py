"""The API's side of fraud review without a broker: a review command goes to the company's
partition of `fraud.reviews` and its reply (matched by command id on the real CommandBus)
comes back as a payload or a domain error; case events are keyed by company."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import pytest

from domain.fraud import ReviewAction, ReviewCommand
from domain.fraud_views import assignment
from streams import fraud_messages as fm
from streams.command_client import CommandRefused, NoReply
from streams.fraud_clients import KafkaCaseLog, KafkaReviews
from streams.replies import CommandBus, CommandError, CommandReply, encode_reply
from tests.api.staff.fraud_fakes import case_view
from tests.fraud_builders import held_order, opened, review


@dataclass
class AnsweringProducer:
    """Records sends; `answer` plays the intake, handing its reply to the bus."""

    answer: Callable[[ReviewCommand], CommandReply | None] = lambda c: None
    sent: list[tuple[str, bytes, bytes]] = field(default_factory=list)
    bus: CommandBus | None = None

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> None:
        self.sent.append((topic, key, value))
        if topic == "fraud.reviews" and self.bus is not None:
            reply = self.answer(fm.decode_review(value))
            if reply is not None:
                self.bus._on_record(SimpleNamespace(value=encode_reply(reply)))  # type: ignore[arg-type]


def _reviews(answer: Callable[[ReviewCommand], CommandReply | None]) -> tuple[KafkaReviews, AnsweringProducer]:
    producer = AnsweringProducer(answer)
    bus = CommandBus(producer, "127.0.0.1:1", "commands.replies", 1)  # type: ignore[arg-type]  # never started
    producer.bus = bus
    return KafkaReviews(bus, "fraud.reviews", timeout=0.05), producer


async def test_a_review_is_sent_to_the_company_partition_and_its_reply_returned() -> None:
    command = review(held_order(1, "cmp_b"), ReviewAction.DECLINE)
    reviews, producer = _reviews(lambda c: CommandReply(c.command_id, payload={"order_id": c.order_id,
                                                                               "status": "declined"}))  # fmt: skip
    assert await reviews.submit(command) == {"order_id": command.order_id, "status": "declined"}
    [(topic, key, value)] = producer.sent
    assert (topic, key) == ("fraud.reviews", b"cmp_b") and fm.decode_review(value) == command


async def test_refusals_and_silence_become_domain_errors() -> None:
    command = review(held_order(1), ReviewAction.APPROVE)
    refused = CommandError(409, "review-refused", "The order is not in a state this review action applies to",
                           "order is approved, not in_review")  # fmt: skip
    reviews, _ = _reviews(lambda c: CommandReply(c.command_id, refused))
    with pytest.raises(CommandRefused) as caught:
        await reviews.submit(command)
    assert (caught.value.status, caught.value.slug) == (409, "review-refused")
    someone_elses = CommandReply("another-command", payload={"status": "approved"})
    reviews, _ = _reviews(lambda c: someone_elses)  # a reply to another request is not ours
    with pytest.raises(NoReply):
        await reviews.submit(command)


async def test_case_events_are_keyed_by_company_or_case() -> None:
    producer = AnsweringProducer()
    log = KafkaCaseLog(producer, "fraud.cases")  # type: ignore[arg-type]
    case = case_view([opened(held_order(1, "cmp_b"))])
    event = assignment(case, "stf_ann", "stf_lead", "req1", case.opened_at)
    await log.append(event)
    pattern = assignment(replace(case, company_id=""), "stf_ann", "stf_lead", "req2", case.opened_at)
    await log.append(pattern)
    assert [(t, k) for t, k, _ in producer.sent] == [("fraud.cases", b"cmp_b"), ("fraud.cases", case.case_id.encode())]
    assert fm.decode_case_event(producer.sent[0][2]) == event
