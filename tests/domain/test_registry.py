from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.catalog import CompanyProduct, Fee
from domain.companies import CompanyProfile, CompanyStatus, KeyMode
from domain.errors import Conflict, InvalidCommand, NotFound
from domain.registry import (
    MAX_ACTIVE_KEYS,
    REMEMBERED_COMMANDS,
    CreateApiKey,
    CreateCompany,
    EditCompany,
    RecordKeyUse,
    Registration,
    RegistryCommand,
    RevokeApiKey,
    SetCompanyCatalog,
    SetCompanyStatus,
    SetWebhookEndpoint,
    apply_registry_command,
)
from domain.webhooks import WebhookEndpoint, WebhookEventType
from tests.builders import T0

PROFILE = CompanyProfile("Acme", "Acme GmbH", "DE", "ops@acme.test", "ops@acme.test")
CID = "cmp_acme"


def _created() -> Registration:
    return apply_registry_command(None, CreateCompany("c1", CID, PROFILE, T0)).registration


def _with_key(registration: Registration, n: int = 1) -> Registration:
    command = CreateApiKey(f"k{n}", CID, f"hash{n}", f"qk_test_{n:04d}", KeyMode.TEST, T0)
    return apply_registry_command(registration, command).registration


def test_create_makes_an_active_company_once() -> None:
    outcome = apply_registry_command(None, CreateCompany("c1", CID, PROFILE, T0))
    company = outcome.registration.company
    assert (company.status, company.version, outcome.company_changed) == (CompanyStatus.ACTIVE, 1, True)
    with pytest.raises(Conflict):
        apply_registry_command(outcome.registration, CreateCompany("c2", CID, PROFILE, T0))
    with pytest.raises(InvalidCommand):
        apply_registry_command(None, CreateCompany("c3", "acme", PROFILE, T0))
    with pytest.raises(InvalidCommand):
        apply_registry_command(None, CreateCompany("c4", CID, replace(PROFILE, country="xx"), T0))


def test_a_redelivered_command_changes_nothing_and_re_emits_its_outputs() -> None:
    registration = _with_key(_created())
    redelivered = CreateApiKey("k1", CID, "hash1", "qk_test_0001", KeyMode.TEST, T0)
    again = apply_registry_command(registration, redelivered)
    assert again.registration == registration
    assert again.company_changed and again.changed_keys == registration.keys
    assert again.key == registration.keys[0]
    first = apply_registry_command(registration, CreateCompany("c1", CID, PROFILE, T0))
    assert first.registration == registration  # not a conflict: it is the same command


def test_edits_change_only_what_they_name_and_renames_reach_the_keys() -> None:
    registration = _with_key(_created())
    edit = EditCompany("e1", CID, {"name": "Acme 2", "ip_allowlist": ["10.0.0.1"]}, T0)
    outcome = apply_registry_command(registration, edit)
    company = outcome.registration.company
    assert company.profile.name == "Acme 2" and company.profile.legal_name == "Acme GmbH"
    assert company.profile.ip_allowlist == ("10.0.0.1/32",) and company.version == 2
    assert [k.company_name for k in outcome.changed_keys] == ["Acme 2"]

    same = apply_registry_command(outcome.registration, EditCompany("e2", CID, {"name": "Acme 2"}, T0))
    assert not same.company_changed and same.registration.company == company
    for changes in ({"id": "cmp_x"}, {}, {"country": "Deutschland"}):
        with pytest.raises(InvalidCommand):
            apply_registry_command(registration, EditCompany("e3", CID, changes, T0))


def test_status_changes_are_idempotent() -> None:
    registration = _created()
    off = apply_registry_command(registration, SetCompanyStatus("s1", CID, CompanyStatus.INACTIVE, T0))
    assert off.registration.company.status is CompanyStatus.INACTIVE and off.company_changed
    off_again = SetCompanyStatus("s2", CID, CompanyStatus.INACTIVE, T0)
    again = apply_registry_command(off.registration, off_again)
    assert not again.company_changed and again.registration.company == off.registration.company


def test_keys_are_created_revoked_once_and_limited() -> None:
    registration = _with_key(_created())
    key = registration.keys[0]
    assert (key.company_id, key.company_name, key.version, key.revoked) == (CID, "Acme", 1, False)
    with pytest.raises(Conflict):  # same prefix
        same_prefix = CreateApiKey("k9", CID, "other", key.key_prefix, KeyMode.LIVE, T0)
        apply_registry_command(registration, same_prefix)

    revoked = apply_registry_command(registration, RevokeApiKey("r1", CID, key.key_prefix, T0))
    assert revoked.key is not None and revoked.key.revoked and revoked.key.revoked_at == T0
    twice = apply_registry_command(revoked.registration, RevokeApiKey("r2", CID, key.key_prefix, T0))
    assert twice.changed_keys == () and twice.key == revoked.key
    with pytest.raises(NotFound):
        apply_registry_command(registration, RevokeApiKey("r3", CID, "qk_test_none", T0))

    full = _created()
    for n in range(MAX_ACTIVE_KEYS):
        full = _with_key(full, n)
    with pytest.raises(Conflict):
        _with_key(full, MAX_ACTIVE_KEYS)


def test_key_use_only_moves_forward_and_ignores_unknown_keys() -> None:
    registration = _with_key(_created())
    later = T0 + timedelta(minutes=5)
    used = apply_registry_command(registration, RecordKeyUse(CID, "hash1", later))
    assert used.changed_keys[0].last_used_at == later
    stale = apply_registry_command(used.registration, RecordKeyUse(CID, "hash1", T0))
    assert stale.changed_keys == () and stale.registration == used.registration
    assert apply_registry_command(registration, RecordKeyUse(CID, "nope", later)).changed_keys == ()
    assert used.registration.applied == registration.applied  # reports carry no request id
    with pytest.raises(NotFound):
        apply_registry_command(None, RecordKeyUse("cmp_none", "hash1", later))


def test_remembered_command_ids_are_bounded() -> None:
    registration = _created()
    for n in range(REMEMBERED_COMMANDS + 5):
        registration = apply_registry_command(
            registration, EditCompany(f"e{n}", CID, {"address": f"{n} Main St"}, T0)
        ).registration
    assert len(registration.applied) == REMEMBERED_COMMANDS
    assert registration.applied[-1] == f"e{REMEMBERED_COMMANDS + 4}"


CARD_EUR = CompanyProduct("card-transfer-eur", max_amount=20_000, fee=Fee(0, 50))
TOPUP = CompanyProduct("topup-de")
ENDPOINT = WebhookEndpoint(
    "https://hooks.acme.test/quadra", (WebhookEventType.ORDER_COMPLETED,), "k1.sealed", T0
)


@pytest.mark.parametrize(
    ("before", "products", "changed"),
    [
        ((), (CARD_EUR, TOPUP), True),
        ((CARD_EUR, TOPUP), (CARD_EUR, TOPUP), False),  # the same again: nothing to publish
        ((CARD_EUR, TOPUP), (TOPUP,), True),
        ((CARD_EUR,), (), True),  # every product off
    ],
)  # fmt: skip
def test_set_company_catalog_replaces_the_list(
    before: tuple[CompanyProduct, ...], products: tuple[CompanyProduct, ...], changed: bool
) -> None:
    registration = apply_registry_command(_created(), SetCompanyCatalog("s0", CID, before, T0)).registration
    outcome = apply_registry_command(registration, SetCompanyCatalog("s1", CID, products, T0))
    company = outcome.registration.company
    assert company.catalog == products and outcome.company_changed is changed
    assert company.version == registration.company.version + (1 if changed else 0)
    assert "s1" in outcome.registration.applied


@pytest.mark.parametrize(
    ("registration", "command", "error"),
    [
        (None, SetCompanyCatalog("s", CID, (TOPUP,), T0), NotFound),
        ("created", SetCompanyCatalog("s", CID, (TOPUP, TOPUP), T0), InvalidCommand),
        (None, SetWebhookEndpoint("w", CID, ENDPOINT, T0), NotFound),
        ("created", SetWebhookEndpoint("w", CID, replace(ENDPOINT, url="ftp://x.test"), T0), InvalidCommand),
        ("created", SetWebhookEndpoint("w", CID, replace(ENDPOINT, url="https://u:p@x.test"), T0),
         InvalidCommand),
        ("created", SetWebhookEndpoint("w", CID, replace(ENDPOINT, event_types=()), T0), InvalidCommand),
        ("created", SetWebhookEndpoint("w", CID, replace(ENDPOINT, secret_ciphertext=""), T0),
         InvalidCommand),
    ],
)  # fmt: skip
def test_refused_catalog_and_webhook_commands_change_nothing(
    registration: str | None, command: RegistryCommand, error: type[Exception]
) -> None:
    current = _created() if registration else None
    with pytest.raises(error):
        apply_registry_command(current, command)


def test_webhook_endpoint_is_set_replaced_and_removed() -> None:
    registration = _created()
    unordered = replace(ENDPOINT, event_types=(WebhookEventType.BALANCE_LOW, WebhookEventType.ORDER_COMPLETED,
                                               WebhookEventType.BALANCE_LOW))  # fmt: skip
    set_ = apply_registry_command(registration, SetWebhookEndpoint("w1", CID, unordered, T0))
    webhook = set_.registration.company.webhook
    assert webhook is not None and set_.company_changed
    assert webhook.event_types == (WebhookEventType.ORDER_COMPLETED, WebhookEventType.BALANCE_LOW)
    again = apply_registry_command(set_.registration, SetWebhookEndpoint("w2", CID, unordered, T0))
    assert not again.company_changed and again.registration.company == set_.registration.company
    removed = apply_registry_command(again.registration, SetWebhookEndpoint("w3", CID, None, T0))
    assert removed.registration.company.webhook is None and removed.company_changed
    replayed = apply_registry_command(removed.registration, SetWebhookEndpoint("w1", CID, ENDPOINT, T0))
    assert replayed.registration == removed.registration  # a redelivered command changes nothing
