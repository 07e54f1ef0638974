"""Simulated history as the offline file: one partner API order request per line, in time order.

`{"created_at": ISO-8601, "company_id": str, "order": <POST /v1/orders body>, "label": 0|1}`.
Card numbers here are test numbers (BIN 400000, Luhn-valid) made from the terminal id: the
file is what a partner sends, so it holds them; the feature code tokenizes them on read.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import orjson

from detectors.simulate.handbook import DAY, Transactions

COMPANY_ID = "cmp_sim"
PRODUCT_ID = "card-transfer-eur"
CURRENCY = "EUR"


def card_number(card_id: int) -> str:
    body = f"400000{card_id:09d}"
    return body + str(_luhn_check_digit(body))


def _luhn_check_digit(body: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # doubled: they sit at odd positions once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def _ip(ip_id: int) -> str:
    return f"10.{(ip_id >> 16) & 255}.{(ip_id >> 8) & 255}.{ip_id & 255}"


def jsonl_lines(tx: Transactions, company_id: str = COMPANY_ID) -> Iterator[bytes]:
    days: dict[int, str] = {}
    cards: dict[int, str] = {}
    at, customer, terminal = tx.at.tolist(), tx.customer.tolist(), tx.terminal.tolist()
    amount, label, device, ip = tx.amount.tolist(), tx.label.tolist(), tx.device.tolist(), tx.ip.tolist()
    for i in range(len(at)):
        day, seconds = divmod(at[i], DAY)
        date = days.get(day)
        if date is None:
            date = days[day] = datetime.fromtimestamp(day * DAY, UTC).strftime("%Y-%m-%d")
        hours, rest = divmod(seconds, 3600)
        card = cards.get(terminal[i])
        if card is None:
            card = cards[terminal[i]] = card_number(terminal[i])
        end_user: dict[str, str] = {"id": f"eu_{customer[i]:05d}"}
        if device[i] >= 0:
            end_user["device_id"] = f"dev_{device[i]}"
        if ip[i] >= 0:
            end_user["ip"] = _ip(ip[i])
        yield orjson.dumps(
            {
                "created_at": f"{date}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}Z",
                "company_id": company_id,
                "order": {
                    "product_id": PRODUCT_ID,
                    "amount": {"value": amount[i], "currency": CURRENCY},
                    "recipient": {"card_number": card},
                    "end_user": end_user,
                },
                "label": label[i],
            }
        ) + b"\n"
