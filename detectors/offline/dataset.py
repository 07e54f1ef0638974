"""Reading the offline file: one order request per line, in time order, into `OrderFacts`.

A line is `{"created_at", "company_id", "order": <partner API body>, "label"?}`. The card
number is turned into a keyed token right here and never kept; a `product_id` unknown to any
catalog is fine (only the recipient's kind matters to the features).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from detectors.features.facts import OrderFacts, keyed_token
from domain.orders import RecipientKind


class BadLine(ValueError):
    """A line the offline commands cannot read; the message names the line."""


@dataclass(frozen=True, slots=True)
class Period:
    """Whole UTC days, both ends included: --from 2018-05-01 --to 2018-07-31."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError(f"period ends ({self.last}) before it starts ({self.first})")

    @property
    def start(self) -> int:
        return int(datetime(self.first.year, self.first.month, self.first.day, tzinfo=UTC).timestamp())

    @property
    def end(self) -> int:
        """Exclusive: the first second after the last day."""
        return int(datetime(self.last.year, self.last.month, self.last.day, tzinfo=UTC).timestamp()) + 86400

    def as_json(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Period:
        return cls(date.fromisoformat(data["from"]), date.fromisoformat(data["to"]))


def parse_line(raw: bytes, token_key: bytes) -> OrderFacts:
    record = orjson.loads(raw)
    order = record["order"]
    recipient = order["recipient"]
    if recipient.get("card_number") is not None:
        digits = recipient["card_number"].replace(" ", "").replace("-", "")
        key, kind = "card:" + keyed_token(token_key, digits), RecipientKind.CARD
    elif recipient.get("phone") is not None:
        key, kind = "phone:" + recipient["phone"], RecipientKind.PHONE
    elif recipient.get("email") is not None:
        key, kind = "email:" + recipient["email"].lower(), RecipientKind.EMAIL
    else:
        raise KeyError("recipient needs card_number, phone or email")
    end_user: dict[str, Any] = order["end_user"]
    amount = order["amount"]["value"]
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("amount.value must be an integer of minor units")
    label = record.get("label")
    if label not in (None, 0, 1):
        raise ValueError("label must be 0, 1 or absent")
    return OrderFacts(
        at=_epoch(record["created_at"]),
        company_id=str(record["company_id"]),
        end_user=str(end_user["id"]),
        recipient=key,
        recipient_kind=kind,
        amount=amount,
        device=end_user.get("device_id"),
        ip=end_user.get("ip"),
        label=label,
    )


def _epoch(text: str) -> int:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the file's times are UTC unless they say otherwise
    return int(moment.timestamp())


def read_facts(path: Path, token_key: bytes, until: int | None = None) -> Iterator[tuple[int, OrderFacts]]:
    """(0-based line number, facts) in file order; stops at the first order at or after `until`."""
    with path.open("rb") as lines:
        for number, raw in enumerate(lines):
            if not raw.strip():
                continue
            try:
                facts = parse_line(raw, token_key)
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
                raise BadLine(f"{path}:{number + 1}: {type(e).__name__}: {e}") from None
            if until is not None and facts.at >= until:
                return
            yield number, facts
