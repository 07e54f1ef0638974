"""Replicas that every API node holds of the registry's compacted topics.

Each tails its topic whole from the beginning (`TopicTail`) and is caught up before the API
serves. Records carry a version; a replica keeps the highest, so a command reply applied on
the node that sent the command (read-your-writes) is never undone by an older record.
"""

from __future__ import annotations

import asyncio

from aiokafka import ConsumerRecord

from domain.companies import Company
from domain.staff import StaffUser
from streams.feeds import TopicTail
from streams.registry_messages import decode_company
from streams.staff_messages import decode_user


class StaffDirectory:
    """Staff users by id and by (normalized) email."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self._by_id: dict[str, StaffUser] = {}
        self._by_email: dict[str, StaffUser] = {}
        self._tail = TopicTail(bootstrap, {topic: 1}, self._on_record, from_beginning=True)

    def _on_record(self, record: ConsumerRecord) -> None:
        self.remember(decode_user(record.value))

    def remember(self, user: StaffUser) -> None:
        known = self._by_id.get(user.id)
        if known is not None and known.version > user.version:
            return
        if known is not None and known.email != user.email:
            self._by_email.pop(known.email, None)
        self._by_id[user.id] = user
        self._by_email[user.email] = user

    def by_id(self, user_id: str) -> StaffUser | None:
        return self._by_id.get(user_id)

    def by_email(self, email: str) -> StaffUser | None:
        return self._by_email.get(email.strip().lower())

    def all(self) -> list[StaffUser]:
        return sorted(self._by_id.values(), key=lambda u: (u.created_at, u.id))

    async def start(self, timeout: float = 30.0) -> None:
        await self._tail.start()
        await asyncio.wait_for(self._tail.caught_up.wait(), timeout)

    async def stop(self) -> None:
        await self._tail.stop()


class CompanyDirectory:
    """Companies by id, from the compacted `companies` topic (all of its partitions)."""

    def __init__(self, bootstrap: str, topic: str, partitions: int) -> None:
        self._companies: dict[str, Company] = {}
        self._tail = TopicTail(bootstrap, {topic: partitions}, self._on_record, from_beginning=True)

    def _on_record(self, record: ConsumerRecord) -> None:
        self.remember(decode_company(record.value))

    def remember(self, company: Company) -> None:
        known = self._companies.get(company.id)
        if known is None or company.version >= known.version:
            self._companies[company.id] = company

    def get(self, company_id: str) -> Company | None:
        return self._companies.get(company_id)

    def all(self) -> list[Company]:
        return sorted(self._companies.values(), key=lambda c: (c.created_at, c.id))

    async def sync(self, timeout: float = 2.0) -> bool:
        """Caught up with every company change confirmed before this call."""
        return await self._tail.sync(timeout)

    async def start(self, timeout: float = 30.0) -> None:
        await self._tail.start()
        await asyncio.wait_for(self._tail.caught_up.wait(), timeout)

    async def stop(self) -> None:
        await self._tail.stop()
