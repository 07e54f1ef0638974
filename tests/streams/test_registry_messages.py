"""Wire round trips of registry and staff messages; old and broken messages."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest

from domain.catalog import CompanyProduct, Fee
from domain.companies import ApiKey, Company, CompanyProfile, CompanyStatus, KeyMode
from domain.webhooks import WebhookEndpoint, WebhookEventType
from domain.registry import (
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
)
from domain.staff import (
    ChangeStaffUser,
    CreateStaffUser,
    EndSessions,
    RecordLoginFailure,
    RecordLoginSuccess,
    Role,
    StaffCommand,
    StaffUser,
)
from streams import messages
from streams import registry_messages as rm
from streams import staff_messages as sm
from tests.builders import T0

PROFILE = CompanyProfile("Acme", "Acme GmbH", "DE", "a@acme.test", "n@acme.test", "HRB 1", "Street 1",
                         ("10.0.0.0/8",))  # fmt: skip
COMPANY = Company("cmp_a", PROFILE, CompanyStatus.INACTIVE, T0, T0 + timedelta(seconds=1), 4)
KEY = ApiKey("h", "qk_live_abcd", "cmp_a", "Acme", KeyMode.LIVE, True, T0, T0, T0, 3)
USER = StaffUser("stf_1", "a@q.test", "A", Role.RISK, "$argon2id$x", T0, False, 2, T0, 5, 9)

REGISTRY_COMMANDS: list[RegistryCommand] = [
    CreateCompany("r", "cmp_a", PROFILE, T0),
    EditCompany("r", "cmp_a", {"name": "B", "ip_allowlist": ["1.2.3.4/32"]}, T0),
    SetCompanyStatus("r", "cmp_a", CompanyStatus.ACTIVE, T0),
    CreateApiKey("r", "cmp_a", "h", "qk_test_abcd", KeyMode.TEST, T0),
    RevokeApiKey("r", "cmp_a", "qk_test_abcd", T0),
    RecordKeyUse("cmp_a", "h", T0),
    SetCompanyCatalog("r", "cmp_a", (CompanyProduct("topup-de"),
                                     CompanyProduct("card-transfer-eur", 100, 900, Fee(5, 10))), T0),
    SetCompanyCatalog("r", "cmp_a", (), T0),
    SetWebhookEndpoint("r", "cmp_a", WebhookEndpoint("https://h.test/q", (WebhookEventType.BALANCE_LOW,),
                                                     "k1.abc", T0, False), T0),
    SetWebhookEndpoint("r", "cmp_a", None, T0),
]
STAFF_COMMANDS: list[StaffCommand] = [
    CreateStaffUser("r", "stf_1", "a@q.test", "A", Role.SUPPORT, "$argon2id$x", T0),
    ChangeStaffUser("r", "stf_1", T0, "B", Role.ADMIN, False),
    ChangeStaffUser("r", "stf_1", T0),
    RecordLoginFailure("r", "stf_1", T0),
    RecordLoginSuccess("r", "stf_1", T0),
    EndSessions("r", "stf_1", T0),
]


@pytest.mark.parametrize("command", REGISTRY_COMMANDS, ids=lambda c: type(c).__name__)
def test_registry_commands_round_trip(command: RegistryCommand) -> None:
    assert rm.decode_registry_command(rm.encode_registry_command(command)) == command


@pytest.mark.parametrize("command", STAFF_COMMANDS, ids=lambda c: type(c).__name__)
def test_staff_commands_round_trip(command: StaffCommand) -> None:
    assert sm.decode_staff_command(sm.encode_staff_command(command)) == command


def test_records_and_states_round_trip() -> None:
    assert rm.decode_company(rm.encode_company(COMPANY)) == COMPANY
    registration = Registration(COMPANY, (KEY,), ("a", "b"))
    assert rm.decode_registration(rm.encode_registration(registration)) == registration
    assert messages.decode_api_key(messages.encode_api_key(KEY)) == KEY
    assert sm.decode_user(sm.encode_user(USER)) == USER
    account = sm.StaffAccount(USER, ("x",))
    assert sm.decode_account(sm.encode_account(account)) == account


def test_key_records_from_before_the_registry_still_decode() -> None:
    old = {"v": 1, "key_hash": "h", "key_prefix": "qk_test_abcd", "company_id": "cmp_demo",
           "company_name": "Demo", "mode": "test", "revoked": False}  # fmt: skip
    key = messages.decode_api_key(orjson.dumps(old))
    assert (key.version, key.created_at, key.last_used_at) == (0, None, None)


@pytest.mark.parametrize(
    "raw",
    [b"nope", b'{"v": 1}', b'{"v": 1, "type": "drop_table", "request_id": "r", "company_id": "c", '
     b'"user_id": "u", "at": "2026-01-01T00:00:00+00:00"}', b'{"v": 1, "type": "create_company", '
     b'"request_id": "r", "company_id": "c", "at": "yesterday", "profile": {}}', None],
)  # fmt: skip
def test_broken_messages_raise_message_error(raw: bytes | None) -> None:
    for decode in (rm.decode_registry_command, sm.decode_staff_command, rm.decode_company,
                   rm.decode_registration, sm.decode_user, sm.decode_account):  # fmt: skip
        with pytest.raises(messages.MessageError):
            decode(raw)
