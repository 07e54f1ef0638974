"""The sandbox demo company seeded by `quadra up`, with an API key kept in the data dir."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Protocol

from datetime import UTC, datetime

from domain.catalog import CompanyProduct, Product, ProductRevision
from domain.companies import Company, CompanyProfile, KeyMode, hash_api_key, new_api_key
from domain.errors import DomainError
from domain.registry import (
    CreateApiKey,
    CreateCompany,
    RegistryCommand,
    RegistryResult,
    SetCompanyCatalog,
)
from domain.ledger_commands import BalanceCommand, CommandKind
from streams.healing_producer import RecordWriter
from streams.ledger_messages import CommandEnvelope, encode_command
from quadra.catalog_seed import SANDBOX_CATALOG
from streams.command_client import NoReply

DEMO_COMPANY_ID = "cmp_demo"
DEMO_COMPANY_NAME = "Demo Rewards (sandbox)"


def demo_key(data_dir: Path) -> str:
    """The demo key, created once and reused, so restarts keep working with the same key."""
    path = data_dir / "demo-api-key"
    if path.exists():
        return path.read_text().strip()
    key = new_api_key(KeyMode.TEST)
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


class Registry(Protocol):
    async def submit(self, command: RegistryCommand) -> RegistryResult: ...


async def publish_demo_company(registry: Registry, data_dir: Path, wait_s: float = 60.0) -> str:
    """Registers the demo company and its key through the registry, the one writer of both.

    On a restart both exist already (409: fine). The worker may still be starting, so a
    command nobody answered is sent again with the same request id (applied at most once).
    """
    key = demo_key(data_dir)
    now = datetime.now(UTC)
    email = "ops@demo.quadra.test"
    profile = CompanyProfile(DEMO_COMPANY_NAME, "Demo Rewards Ltd", "DE", email, email)
    key_hash = hash_api_key(key)
    commands: list[RegistryCommand] = [
        CreateCompany("seed-demo-company", DEMO_COMPANY_ID, profile, now),
        CreateApiKey(f"seed-demo-key-{key_hash[:16]}", DEMO_COMPANY_ID, key_hash, key[:12],
                     KeyMode.TEST, now),  # fmt: skip
    ]
    deadline = time.monotonic() + wait_s
    for command in commands:
        await _submit_until_answered(registry, command, deadline)
    return key


async def _submit_until_answered(registry: Registry, command: RegistryCommand, deadline: float) -> None:
    """Sent again with the same request id while nobody answers; a 409 (exists) is fine."""
    while True:
        try:
            await registry.submit(command)
        except NoReply:
            if time.monotonic() > deadline:
                raise
            continue
        except DomainError as error:
            if error.status != 409:
                raise
        return


class Products(Protocol):
    def all(self) -> list[Product]: ...


class ProductSaver(Protocol):
    async def save(self, revision: ProductRevision) -> None: ...


async def publish_sandbox_catalog(products: Products, store: ProductSaver) -> None:
    """Puts the sandbox products on the (empty) products topic; once there, staff own them.

    `products` must be caught up. Two processes seeding at once write the same version-1
    records, which is harmless."""
    if products.all():
        return
    now = datetime.now(UTC)
    for product in SANDBOX_CATALOG.products:
        await store.save(ProductRevision(product, 1, now, "system:seed"))


class Companies(Protocol):
    def get(self, company_id: str) -> Company | None: ...


async def publish_demo_catalog(registry: Registry, companies: Companies, wait_s: float = 60.0) -> None:
    """Enables every sandbox product for the demo company, unless it has a catalog already
    (staff may have changed it: a restart must not undo that)."""
    demo = companies.get(DEMO_COMPANY_ID)
    if demo is None or demo.catalog:
        return
    choices = tuple(CompanyProduct(p.id) for p in SANDBOX_CATALOG.products)
    command = SetCompanyCatalog("seed-demo-catalog", DEMO_COMPANY_ID, choices, datetime.now(UTC))
    await _submit_until_answered(registry, command, time.monotonic() + wait_s)


DEMO_TOP_UPS = (("EUR", 100_000_000), ("USD", 100_000_000))  # 1,000,000.00 each, sandbox money


async def publish_demo_funds(producer: RecordWriter, topic: str) -> None:
    """Top up the demo company once: the command ids make every later publish a no-op."""
    for currency, amount in DEMO_TOP_UPS:
        command = BalanceCommand(
            command_id=f"seed-demo-{currency}", company_id=DEMO_COMPANY_ID, kind=CommandKind.TOP_UP,
            currency=currency, actor="system:seed", at=datetime.now(UTC), amount=amount,
            reference="sandbox demo funds",
        )  # fmt: skip
        envelope = CommandEnvelope(f"seed-demo-{currency}", command)
        await producer.send_and_wait(topic, encode_command(envelope), key=DEMO_COMPANY_ID.encode())
