"""The audit wire contract: audit events, chained records and the audit agent's table state.

Same conventions as streams.messages (versioned JSON, ISO 8601 timestamps); kept apart so the
audit contract can be read (and changed) in one place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.audit import ActorKind, AuditEvent
from domain.audit_chain import AuditRecord, ChainHead, Link
from streams.messages import MessageError, dumps, loads


def audit_event_to_dict(e: AuditEvent) -> dict[str, Any]:
    return {
        "event_id": e.event_id,
        "at": e.at.isoformat(),
        "actor_kind": e.actor_kind.value,
        "actor_id": e.actor_id,
        "company_id": e.company_id,
        "action": e.action,
        "target": e.target,
        "request_id": e.request_id,
        "ip": e.ip,
        "details": e.details,
    }


def audit_event_from_dict(d: dict[str, Any]) -> AuditEvent:
    try:
        at = datetime.fromisoformat(d["at"])
        if at.tzinfo is None:
            raise ValueError("timestamp without a time zone")
        details = d.get("details") or {}
        if not isinstance(details, dict):
            raise TypeError("details must be an object")
        return AuditEvent(
            event_id=str(d["event_id"]),
            at=at,
            actor_kind=ActorKind(d["actor_kind"]),
            actor_id=str(d["actor_id"]),
            company_id=str(d["company_id"]),
            action=str(d["action"]),
            target=str(d["target"]),
            request_id=str(d.get("request_id", "")),
            ip=str(d.get("ip", "")),
            details=details,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"bad audit event: {exc!r}") from exc


def encode_audit_event(e: AuditEvent) -> bytes:
    return dumps(audit_event_to_dict(e))


def decode_audit_event(raw: bytes | None) -> AuditEvent:
    return audit_event_from_dict(loads(raw))


def encode_audit_record(r: AuditRecord) -> bytes:
    return dumps(
        {
            "chain": r.chain,
            "seq": r.seq,
            "prev_hash": r.prev_hash,
            "hash": r.hash,
            "event": audit_event_to_dict(r.event),
        }
    )


def decode_audit_record(raw: bytes | None) -> AuditRecord:
    d = loads(raw)
    try:
        return AuditRecord(
            int(d["chain"]),
            int(d["seq"]),
            str(d["prev_hash"]),
            str(d["hash"]),
            audit_event_from_dict(d["event"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MessageError(f"bad audit record: {exc!r}") from exc


# The audit agent's table values (state, not wire messages, but versioned the same way).


def encode_chain_head(h: ChainHead) -> bytes:
    return dumps({"seq": h.seq, "hash": h.hash})


def decode_chain_head(raw: bytes) -> ChainHead:
    d = loads(raw)
    return ChainHead(int(d["seq"]), str(d["hash"]))


def encode_link(link: Link) -> bytes:
    return dumps({"seq": link.seq, "prev_hash": link.prev_hash, "hash": link.hash})


def decode_link(raw: bytes) -> Link:
    d = loads(raw)
    return Link(int(d["seq"]), str(d["prev_hash"]), str(d["hash"]))
