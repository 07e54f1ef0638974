"""Order stories for the order detail and request viewer pages: the standard one
(tests/timeline_builders.py), one still held for review, and one whose stored texts are
hostile (markup, SQL, JSON-escaped secrets and card numbers) as a careless writer could leave."""

from __future__ import annotations

from dataclasses import replace

from api.staff.order_timeline_service import OrderTimelines
from domain.order_timeline import StatusEventView
from analytics.order_timeline_repo import StoredOrder
from tests.api.staff.conftest import StaffHarness
from tests.api.staff.order_timeline_fakes import StoryReads
from tests.timeline_builders import CLEAR_PAN, OrderStory, order_story

HOSTILE = "<script>alert(1)</script>"
SQL = "' OR 1=1 --"
# JSON escapes hide a secret field and a card number from the sanitizer's raw-text rules;
# decoding the body for display brings them back, so the page must sanitize again.
ESCAPED_SECRET = "hunter2-escaped-secret"
ESCAPED_PAN_BODY = (
    '{"\\u0061pi_key":"' + ESCAPED_SECRET + '","card":"411\\u0031' + CLEAR_PAN[4:] + '","note":"' + HOSTILE + '"}'
)


def serve_story(h: StaffHarness, story: OrderStory, reads_type: type[StoryReads] = StoryReads) -> None:
    """The harness's app answers order details and logged requests from `story`."""
    assert h.app is not None
    reads = reads_type(story)
    services = h.app.state.services
    staff = replace(services.staff, orders=OrderTimelines(reads, reads, reads, reads, reads))
    h.app.state.services = replace(services, staff=staff)


def in_review_story() -> OrderStory:
    """The standard order as it was when the fraud check held it (a case is open)."""
    story = order_story()
    held = story.events[1].order
    first_webhook = [r for r in story.webhook_records if r.delivery.message.id == story.webhook_records[0].delivery.message.id]
    return replace(story, order=held, events=story.events[:2], case_events=story.case_events[:2], ledger=[],
                   requests=story.requests[:1], webhook_records=first_webhook)  # fmt: skip


class HostileReads(StoryReads):
    """Status reasons as hostile as the other texts."""

    async def status_events(self, order: StoredOrder) -> list[StatusEventView]:
        return [replace(e, reason=f"{HOSTILE} {SQL}") for e in await super().status_events(order)]


def hostile_story() -> OrderStory:
    story = order_story()
    partner, *calls = story.requests
    partner = replace(
        partner, request_body=ESCAPED_PAN_BODY, response_body=f"{HOSTILE} card {CLEAR_PAN}",
        request_headers=f"x-evil: {HOSTILE}\nauthorization: Bearer qk_live_abc", query=f"q={HOSTILE}",
    )  # fmt: skip
    decision = {**story.decision, "reasons": [HOSTILE, SQL], "fired_rules": [HOSTILE + "@1"], "model": HOSTILE}
    order = replace(story.order, external_id=HOSTILE, metadata={"note": HOSTILE, "card": CLEAR_PAN})
    return replace(
        story, order=order, requests=[partner, *calls], decision=decision,
        case_events=[replace(e, text=f"{HOSTILE} {CLEAR_PAN}") for e in story.case_events],
        ledger=[replace(e, reason=HOSTILE, actor=SQL) for e in story.ledger],
    )  # fmt: skip
