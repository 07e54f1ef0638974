"""Replicas keep the newest version, whichever arrives first (a reply or the topic record)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.companies import Company, CompanyProfile, CompanyStatus, api_key_record
from domain.staff import Role, StaffUser
from streams.directories import CompanyDirectory, StaffDirectory
from streams.admin import ensure_topics
from streams.feeds import KeyDirectory
from streams.registry_messages import encode_company
from streams.topics import COMPANIES, TopicNames
from tests.builders import T0
from tests.streams.kafka_helpers import producer

USER = StaffUser("stf_1", "ann@q.test", "Ann", Role.ADMIN, "$argon2id$x", T0)
PROFILE = CompanyProfile("A", "A", "DE", "a@a.test", "a@a.test")
COMPANY = Company("cmp_a", PROFILE, CompanyStatus.ACTIVE, T0, T0)


def test_staff_directory_keeps_the_newest_and_finds_by_email() -> None:
    users = StaffDirectory("unused:9092", "staff.users")
    newer = replace(USER, email="ann@new.test", version=2)
    users.remember(newer)
    users.remember(USER)  # older, arriving late: ignored
    assert users.by_id("stf_1") == newer
    assert users.by_email(" ANN@new.test") == newer and users.by_email("ann@q.test") is None


def test_company_directory_keeps_the_newest() -> None:
    companies = CompanyDirectory("unused:9092", "companies", 4)
    inactive = replace(COMPANY, status=CompanyStatus.INACTIVE, version=2)
    companies.remember(inactive)
    companies.remember(COMPANY)
    assert companies.get("cmp_a") == inactive and companies.all() == [inactive]


def test_key_directory_never_undoes_a_revocation_with_an_older_record() -> None:
    keys = KeyDirectory("unused:9092", "companies.api_keys")
    key = replace(api_key_record("qk_test_" + "A" * 43, "cmp_a", "A"), version=1)
    revoked = replace(key, revoked=True, version=2)
    keys.remember(revoked)
    keys.remember(key)
    assert keys.lookup(key.key_hash) is None
    assert keys.for_company("cmp_a") == [revoked] and keys.for_company("cmp_b") == []


@pytest.mark.kafka
async def test_sync_sees_every_company_change_published_before_it(kafka_bootstrap: str, topic_prefix: str) -> None:
    # The notify agent relies on this: an endpoint the registry confirmed is visible before
    # the next order event is matched against it.
    names = TopicNames(topic_prefix)
    await ensure_topics(kafka_bootstrap, names, 4, 1)
    companies = CompanyDirectory(kafka_bootstrap, names(COMPANIES), 4)
    await companies.start()
    try:
        async with producer(kafka_bootstrap) as p:
            for n in range(20):
                company = replace(COMPANY, id=f"cmp_{n}")
                await p.send_and_wait(names(COMPANIES), encode_company(company), key=company.id.encode())
        assert await companies.sync(timeout=10)
        assert {c.id for c in companies.all()} >= {f"cmp_{n}" for n in range(20)}
    finally:
        await companies.stop()
