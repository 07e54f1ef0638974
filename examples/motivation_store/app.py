"""The store as a small Starlette app: `/` lists the catalog, `POST /rewards` orders a reward
(waiting up to 5 s for it to be paid), `/rewards/{id}` shows its status."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from examples.motivation_store import pages
from examples.motivation_store.rewards import InvalidReward, RewardForm, order_for
from quadra_client import AsyncQuadra, NotFoundError, QuadraError, new_idempotency_key

PAY_WAIT_SECONDS = 5  # Prefer: wait — most rewards are paid within it


def create_app(quadra: AsyncQuadra) -> Starlette:
    async def store(request: Request) -> Response:
        return HTMLResponse(pages.store(await quadra.catalog(), new_idempotency_key))

    async def send_reward(request: Request) -> Response:
        form = await request.form()
        filled = RewardForm(*(str(form.get(name, ""))[:200] for name in
                              ("product_id", "amount", "employee_id", "recipient", "idempotency_key")))  # fmt: skip
        try:
            body = order_for(filled, await quadra.catalog())
            order = await quadra.create_order(body, idempotency_key=filled.idempotency_key or None, wait=PAY_WAIT_SECONDS)
        except InvalidReward as exc:
            return HTMLResponse(pages.refused(str(exc), []), status_code=422)
        except QuadraError as exc:  # e.g. a phone number the API finds invalid: say which field
            status = 422 if 400 <= exc.status < 500 else 502
            fields = [f"{e.pointer}: {e.message}" for e in exc.errors]
            return HTMLResponse(pages.refused(exc.detail, fields), status_code=status)
        return RedirectResponse(f"/rewards/{order.id}", status_code=303)

    async def show_reward(request: Request) -> Response:
        try:
            order = await quadra.get_order(request.path_params["order_id"])
        except NotFoundError:
            return HTMLResponse(pages.refused("No such reward.", []), status_code=404)
        return HTMLResponse(pages.reward(order))

    return Starlette(routes=[
        Route("/", store), Route("/rewards", send_reward, methods=["POST"]),
        Route("/rewards/{order_id}", show_reward),
    ])  # fmt: skip
