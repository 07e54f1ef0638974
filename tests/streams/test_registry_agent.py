"""The registry agent's step on its own: state, emitted records, replies, redelivery."""

from __future__ import annotations

from domain.companies import CompanyProfile, KeyMode
from domain.registry import CreateApiKey, CreateCompany, RecordKeyUse, RevokeApiKey
from streams import messages
from streams.registry_agent import RegistryOutputs, process_registry_command
from streams.registry_messages import decode_company, decode_registration, encode_registry_command
from streams.replies import decode_reply
from tests.builders import T0
from tests.streams.agent_fakes import RecordingTopic

PROFILE = CompanyProfile("Acme", "Acme GmbH", "DE", "ops@acme.test", "ops@acme.test")


def _outputs() -> RegistryOutputs:
    return RegistryOutputs(RecordingTopic(), RecordingTopic(), RecordingTopic())


async def test_commands_write_state_records_and_replies() -> None:
    table: dict[bytes, bytes] = {}
    out = _outputs()
    for command in (
        CreateCompany("r1", "cmp_a", PROFILE, T0),
        CreateApiKey("r2", "cmp_a", "h1", "qk_test_abcd", KeyMode.TEST, T0),
    ):
        await process_registry_command(encode_registry_command(command), table, out)

    assert decode_registration(table[b"cmp_a"]).keys[0].key_hash == "h1"
    assert [decode_company(v).id for _, v in out.companies.sent] == ["cmp_a"]
    keys = [(k, messages.decode_api_key(v).key_prefix) for k, v in out.keys.sent]
    assert keys == [(b"h1", "qk_test_abcd")]
    replies = [decode_reply(v) for _, v in out.replies.sent]
    assert [r.request_id for r in replies] == ["r1", "r2"] and all(r.ok for r in replies)
    assert replies[1].payload["key"]["key_prefix"] == "qk_test_abcd"


async def test_a_redelivered_command_re_emits_without_changing_anything() -> None:
    table: dict[bytes, bytes] = {}
    out = _outputs()
    create = encode_registry_command(CreateCompany("r1", "cmp_a", PROFILE, T0))
    revoke_unknown = encode_registry_command(RevokeApiKey("r2", "cmp_a", "qk_test_none", T0))
    await process_registry_command(create, table, out)
    state = dict(table)
    await process_registry_command(create, table, out)  # e.g. after a crash before the commit
    assert table == state
    assert len(out.companies.sent) == 2 and out.companies.sent[0] == out.companies.sent[1]
    assert [decode_reply(v).ok for _, v in out.replies.sent] == [True, True]

    await process_registry_command(revoke_unknown, table, out)
    refusal = decode_reply(out.replies.sent[-1][1])
    assert refusal.error is not None and refusal.error.status == 404 and table == state


async def test_reports_and_garbage_get_no_reply() -> None:
    table: dict[bytes, bytes] = {}
    out = _outputs()
    await process_registry_command(encode_registry_command(RecordKeyUse("cmp_none", "h", T0)), table, out)
    await process_registry_command(b"not json", table, out)
    assert table == {} and out.replies.sent == [] and out.keys.sent == []
