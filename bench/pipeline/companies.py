"""Partner companies beyond the demo one, so that orders spread over the partitions.

Every stream agent partitions by company (the ledger is the single writer of a company's
balances), so all of one company's orders land on one partition and one worker process: with
the demo company alone a second worker gets nothing to do. `--companies N` creates N − 1 more
companies through the staff API as an operator would (a staff admin by `quadra admin
create-user`, then company, test key, the demo catalog, a funded EUR balance, the webhook
endpoint) and the bench sends orders to them in turn.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from aiokafka.partitioner import murmur2

from bench.contract_setup import DEMO_COMPANY, TOP_UP_MINOR, create_staff_admin
from bench.errors import BenchError
from bench.quadra_process import QuadraProcess


@dataclass(frozen=True)
class Company:
    company_id: str
    api_key: str


def partition_of(company_id: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives the company's key (streams key by it)."""
    return (murmur2(company_id.encode()) & 0x7FFFFFFF) % partitions


def _ok(response: httpx.Response) -> dict:
    if response.status_code >= 300:
        raise BenchError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} "
            f"{response.text[:200]}"
        )
    return response.json()  # type: ignore[no-any-return]


async def _set_webhook(client: httpx.AsyncClient, key: str, hook_url: str, event_types: Sequence[str]) -> None:
    """The new key reaches the API through the key directory (a topic): 401 until it has."""
    for _ in range(100):
        response = await client.put(
            "/v1/webhook-endpoint", headers={"Authorization": f"Bearer {key}"},
            json={"url": hook_url, "event_types": list(event_types)},
        )  # fmt: skip
        if response.status_code != 401:
            _ok(response)
            return
        await asyncio.sleep(0.2)
    raise BenchError("a new company's API key was not accepted within 20 s")


async def staff_headers(up: QuadraProcess) -> dict[str, str]:
    """A fresh staff admin (`quadra admin create-user`, as an operator would), signed in."""
    env = {**os.environ, "QUADRA_KAFKA_BOOTSTRAP": up.bootstrap, "QUADRA_TOPIC_PREFIX": up.prefix,
           "QUADRA_DATA_DIR": str(up.data_dir)}  # fmt: skip
    email, password = f"pipe-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(18)
    await asyncio.to_thread(create_staff_admin, env, email, password)
    async with httpx.AsyncClient(base_url=up.url, timeout=30, trust_env=False) as client:
        login = _ok(await client.post("/staff/v1/login", json={"email": email, "password": password}))
    return {"Authorization": f"Bearer {login['token']}"}


async def extra_companies(
    up: QuadraProcess, count: int, hook_url: str,
    event_types: Sequence[str] = ("order.completed", "order.failed"),
    staff: dict[str, str] | None = None,
) -> list[Company]:  # fmt: skip
    """`count` fresh companies, each ready to take orders and to send webhooks to `hook_url`
    (`staff`: the headers of a signed-in staff admin; a new one when None)."""
    if count <= 0:
        return []
    if staff is None:
        staff = await staff_headers(up)
    companies = []
    async with httpx.AsyncClient(base_url=up.url, timeout=30, trust_env=False) as client:
        catalog = _ok(await client.get(f"/staff/v1/companies/{DEMO_COMPANY}/catalog", headers=staff))
        for n in range(count):
            company = _ok(await client.post("/staff/v1/companies", headers=staff, json={
                "name": f"Pipeline {n}", "legal_name": f"Pipeline {n} GmbH", "country": "DE",
                "contact_email": f"pipe{n}@example.com",
            }))  # fmt: skip
            cid = str(company["id"])
            key = str(_ok(await client.post(
                f"/staff/v1/companies/{cid}/api-keys", headers=staff, json={"mode": "test"}
            ))["key"])  # fmt: skip
            _ok(await client.put(f"/staff/v1/companies/{cid}/catalog", headers=staff,
                                 json={"products": catalog["products"]}))  # fmt: skip
            _ok(await client.post(
                f"/staff/v1/companies/{cid}/balances/EUR/top-ups", json={"amount": TOP_UP_MINOR, "reference": "bench"},
                headers={**staff, "Idempotency-Key": f"pipe-top-up-{cid}"},
            ))  # fmt: skip
            await _set_webhook(client, key, hook_url, event_types)
            companies.append(Company(cid, key))
    return companies
