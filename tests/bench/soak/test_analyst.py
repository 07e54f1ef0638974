"""The soak's analyst against a staff API double (an httpx transport): it pages through the
queue, reviews each order once as `review_action` chooses, retries what a 503 refused on the
next sweep, and reports any other refusal."""

import asyncio
import json

import httpx

from bench.soak.analyst import Analyst, review_action


LOST = -1  # the review runs, its answer is lost


class StaffApi:
    def __init__(self, queue: list[str], page: int, refuse: dict[str, list[int]]) -> None:
        self.queue, self.page, self.refuse = queue, page, refuse
        self.reviewed: dict[str, str] = {}
        self.posts: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["cookie"] == "s=1"
        if request.method == "GET":
            start = int(request.url.params.get("cursor", "0"))
            # Like the ClickHouse-backed queue, it still shows an order for a while after its review.
            data = [{"order_id": o} for o in self.queue[start : start + self.page]]
            more = start + self.page < len(self.queue)
            return httpx.Response(200, json={"data": data, "next_cursor": str(start + self.page) if more else None})
        order_id = request.url.path.split("/")[-2]
        self.posts.append(order_id)
        assert request.headers["idempotency-key"] == f"soak-review-{order_id}"
        codes = self.refuse.get(order_id, [])
        code = codes.pop(0) if codes else 200
        if code not in (200, LOST):
            return httpx.Response(code, json={"title": "no"})
        self.reviewed[order_id] = json.loads(request.content)["action"]
        if code == LOST:  # done, and the process killed before it answered
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        return httpx.Response(200, json={"order_id": order_id})


def _sweep(analyst: Analyst, api: StaffApi) -> None:
    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(api), base_url="http://quadra") as client:
            await analyst.sweep(client)

    asyncio.run(go())


def test_every_order_in_the_queue_is_reviewed_once_across_pages() -> None:
    orders = [f"ord_{n}" for n in range(7)]
    api = StaffApi(orders, page=3, refuse={})
    analyst = Analyst("http://quadra", {"Cookie": "s=1"}, interval_s=1)
    _sweep(analyst, api)
    _sweep(analyst, api)
    assert api.reviewed == {o: review_action(o) for o in orders}
    assert sorted(api.posts) == sorted(orders)  # the second sweep skipped the reviewed ones
    assert analyst.reviews.counts == {a: list(api.reviewed.values()).count(a) for a in ("approve", "decline")}
    assert analyst.reviews.declined == {o for o, a in api.reviewed.items() if a == "decline"}
    assert analyst.reviews.problems == []


def test_a_503_is_tried_again_next_sweep_and_a_409_is_a_problem() -> None:
    api = StaffApi(["ord_a", "ord_b"], page=10, refuse={"ord_a": [503], "ord_b": [409]})
    analyst = Analyst("http://quadra", {"Cookie": "s=1"}, interval_s=1)
    _sweep(analyst, api)
    assert analyst.reviews.done == {"ord_b"} and api.reviewed == {}
    assert [p.split(":")[0] for p in analyst.reviews.problems] == ["review of ord_b"]
    _sweep(analyst, api)
    assert api.reviewed == {"ord_a": review_action("ord_a")}
    assert api.posts == ["ord_a", "ord_b", "ord_a"]


def test_a_decline_whose_answer_was_lost_still_counts_as_the_reviewers() -> None:
    """The first soak with the analyst: 11 orders its declines had ended, each answer lost to a
    `quadra up` kill, and gone from the queue by the next sweep; they were taken for orders
    declined against their kind's expectation."""
    declined = next(f"ord_{n}" for n in range(50) if review_action(f"ord_{n}") == "decline")
    api = StaffApi([declined], page=10, refuse={declined: [LOST]})
    analyst = Analyst("http://quadra", {"Cookie": "s=1"}, interval_s=1)
    _sweep(analyst, api)
    assert api.reviewed == {declined: "decline"}
    assert analyst.reviews.declined == {declined} and analyst.reviews.done == set()
