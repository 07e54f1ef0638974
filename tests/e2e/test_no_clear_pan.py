"""Acceptance: no card number in clear in any Kafka topic, ClickHouse table or log.

`quadra up` runs as a real subprocess (payouts through dispatch and its provider sandbox) on a
broker of this test's own, so every topic and every log segment on it belongs to this run. Card
numbers go in as recipients (paid, declined, formatted with spaces and dashes) and in hostile
places: metadata, external_id, end-user id, Idempotency-Key, a request refused with 422, an
unknown product id, a query string and a path. Each place gets its own PAN, so a finding names
the code path that leaked it. After a graceful stop (the sink drains) the test reads back:

  (i)   every record (key, value, headers) of every topic on the broker, internal ones included,
        read_uncommitted (aborted transactions too);
  (ii)  every row of every table of every non-system ClickHouse database (the embedded path,
        opened by a separate process after `quadra up` exited);
  (iii) the process's stdout/stderr and every file under its data dir;
  (iv)  the raw bytes of the broker's log segments (the test checks the record batches are not
        compressed, so a raw search is meaningful; it says so if they are).

Each text is searched for every PAN as written, as a plain digit string, and with separators
removed; and for any Luhn-valid 15-19 digit number with a card network's first digit, standing
alone (not inside a hex id or a UUID), which catches card numbers no test chose, like the virtual
card the issuer hands out.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from domain.cards import luhn_valid
from quadra.local_kafka import LocalKafka
from tests.conftest import REPO, free_port
from tests.e2e.conftest import broker_at
from tests.e2e.quadra_process import QuadraProcess

pytestmark = [pytest.mark.kafka, pytest.mark.e2e]

# Where each PAN is put. Recipients are paid (or declined) for real through the sandbox banks.
RECIPIENT_PANS = {
    "recipient, paid": "4556737586899855",
    "recipient, paid (2)": "5555555555554444",
    "recipient, declined by the bank (BIN 400000)": "4000001234567899",
    "recipient, spaces": "4012 8888 8888 1881",
    "recipient, dashes": "5105-1051-0510-5100",
}
HOSTILE_PANS = {
    "metadata value": "4242424242424242",
    "metadata value, spaces": "6011 1111 1111 1117",
    "external_id": "3530111333300000",
    "end_user.id": "5200828282828210",
    "end_user.device_id": "4917610000000000",
    "Idempotency-Key header": "6011000990139424",
    "422 body (amount 0)": "378282246310005",
    "422 body (bad field name)": "4988438843884305",
    "unknown product_id": "4444333322221111",
    "query string": "5425233430109903",
    "path": "2223000048410010",
    "custom header": "4035501000000008",
}
ALL_PANS = {**RECIPIENT_PANS, **HOSTILE_PANS}
_SEPARATORS = re.compile(r"[\s\-./_,]")
# Not part of a longer word: hex ids, hashes and UUIDs (their groups joined once separators are
# removed) hold Luhn-valid digit runs by chance, next to a letter a-f (CI once failed on a
# request id and on the database UUID); a card number stands alone between quotes, spaces or bytes.
_CARDLIKE = re.compile(r"(?<![0-9A-Za-z])[3-6]\d{14,18}(?![0-9A-Za-z])")


def _digits(pan: str) -> str:
    return re.sub(r"\D", "", pan)


@dataclass
class Finding:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.what} in {self.where}"


@dataclass
class Scan:
    """Searches texts for the chosen PANs and any other card-like number."""

    findings: list[Finding] = field(default_factory=list)
    texts: int = 0

    def search(self, where: str, text: str) -> None:
        self.texts += 1
        squeezed = _SEPARATORS.sub("", text)
        for place, pan in ALL_PANS.items():
            digits = _digits(pan)
            if pan in text or digits in text:
                self.findings.append(Finding(where, f"PAN {digits} (put in {place})"))
            elif digits in squeezed:
                self.findings.append(Finding(where, f"PAN {digits} (put in {place}) with separators"))
        chosen = {_digits(p) for p in ALL_PANS.values()}
        for number in set(_CARDLIKE.findall(squeezed)):
            if luhn_valid(number) and number not in chosen and not any(number in c or c in number for c in chosen):
                self.findings.append(Finding(where, f"card-like Luhn-valid number {number}"))

    def search_bytes(self, where: str, data: bytes) -> None:
        self.search(where, data.decode("latin-1"))

    def report(self) -> str:
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[str(f)] = counts.get(str(f), 0) + 1
        lines = [f"{line}" + (f" ({n} times)" if n > 1 else "") for line, n in sorted(counts.items())]
        return f"{len(lines)} leak(s):\n  " + "\n  ".join(lines)


@dataclass
class Run:
    """What the scenario left behind."""

    broker: LocalKafka
    process: QuadraProcess
    orders: dict[str, dict] = field(default_factory=dict)  # place → the order as the API returned it
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)  # place → (status, body)
    exit_code: int | None = None


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    """A broker of this module's own: every topic and segment on it is this run's."""
    with broker_at(tmp_path_factory.mktemp("pan-kafka")) as broker:
        yield broker


def _order_body(product: str, amount: int, recipient: dict, **extra: object) -> dict:
    # An end user per order: a dozen payouts of one user within a minute would be held for
    # review by the built-in velocity rules, which this test is not about.
    return {"product_id": product, "amount": {"value": amount, "currency": "EUR"},
            "recipient": recipient, "end_user": {"id": f"user-{amount}-{len(str(recipient))}"}, **extra}  # fmt: skip


@pytest.fixture(scope="module")
def run(own_broker: LocalKafka, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    q = QuadraProcess(tmp_path_factory.mktemp("pan") / "var", free_port(), own_broker.bootstrap, "")
    q.env.update({"QUADRA_PAYOUTS": "providers", "QUADRA_SANDBOX_PORT": str(free_port())})
    q.start()
    result = Run(own_broker, q)
    try:
        _drive(q, result)
    finally:
        result.exit_code = q.terminate()  # graceful: the sink drains into ClickHouse
    yield result


def _drive(q: QuadraProcess, result: Run) -> None:
    auth = {"Authorization": f"Bearer {q.key}"}
    client = httpx.Client(base_url=q.url, timeout=20, headers=auth)
    wait = {"Prefer": "wait=10"}

    def post(place: str, body: dict, key: str, **headers: str) -> httpx.Response:
        response = client.post("/v1/orders", json=body, headers={"Idempotency-Key": key, **wait, **headers})
        if response.status_code in (200, 201):
            result.orders[place] = response.json()
        else:
            result.refused[place] = (response.status_code, response.text)
        return response

    for n, (place, pan) in enumerate(RECIPIENT_PANS.items()):
        post(place, _order_body("card-transfer-eur", 1500 + n, {"card_number": pan}), f"rcp-{n}")
    h = HOSTILE_PANS
    email = {"email": "winner@example.com"}
    post("metadata value", _order_body("virtual-card-eur", 2500, email,
                                       metadata={"note": h["metadata value"], "n": 1}), "h-meta")  # fmt: skip
    post("metadata value, spaces", _order_body("topup-de", 1000, {"phone": "+4915112345678"},
                                               metadata={"card": h["metadata value, spaces"]}), "h-meta2")  # fmt: skip
    post("external_id", _order_body("amazon-de-25", 2500, email, external_id=h["external_id"]), "h-ext")
    body = _order_body("topup-de", 1200, {"phone": "+4915112345678"})
    body["end_user"] = {"id": h["end_user.id"], "device_id": h["end_user.device_id"]}
    post("end_user.id", body, "h-user")
    post("Idempotency-Key header", _order_body("topup-de", 1300, {"phone": "+4915112345678"}),
         h["Idempotency-Key header"])  # fmt: skip
    post("422 body (amount 0)", _order_body("card-transfer-eur", 0, {"card_number": h["422 body (amount 0)"]}),
         "h-422")  # fmt: skip
    bad = _order_body("card-transfer-eur", 1500, {"card_number": RECIPIENT_PANS["recipient, paid"]})
    bad["card"] = h["422 body (bad field name)"]  # an unknown field: refused, value not echoed
    post("422 body (bad field name)", bad, "h-422b")
    post("unknown product_id", _order_body(_digits(h["unknown product_id"]), 1500, email), "h-prod")
    query = client.get("/v1/orders", params={"card": h["query string"], "q": h["query string"]})
    result.refused["query string"] = (query.status_code, query.text)
    path = client.get(f"/v1/orders/{h['path']}")
    result.refused["path"] = (path.status_code, path.text)
    header = client.get("/v1/balance", headers={"X-Card-Number": h["custom header"]})
    result.refused["custom header"] = (header.status_code, header.text)
    client.close()


def test_the_scenario_ran_as_expected(run: Run) -> None:
    assert run.exit_code == 0, run.process.tail()
    statuses = {place: (o["status"], o["status_reason"]) for place, o in run.orders.items()}
    for place in ("recipient, paid", "recipient, paid (2)", "recipient, spaces", "recipient, dashes"):
        assert statuses[place] == ("completed", "paid by bank-a"), statuses
    assert statuses["recipient, declined by the bank (BIN 400000)"][0] == "failed", statuses
    for place in ("422 body (amount 0)", "422 body (bad field name)"):
        assert run.refused[place][0] == 422, run.refused
    # A card number pasted into a free-text field is refused at the edge, never stored.
    for place in ("metadata value", "metadata value, spaces", "external_id", "end_user.id"):
        assert run.refused[place][0] == 422 and "looks like a card number" in run.refused[place][1]
    assert run.refused["Idempotency-Key header"][0] == 400, run.refused
    # The answers themselves never echo a card number.
    answers = Scan()
    for place, order in run.orders.items():
        # A delivery (the virtual card's PAN, a gift code) is for its owner: the only exception.
        answers.search(f"the API's answer to {place}", json.dumps({**order, "delivery": None}))
    for place, (_, text) in run.refused.items():
        answers.search(f"the API's answer to {place}", text)
    assert not answers.findings, answers.report()


def _read_every_topic(bootstrap: str) -> dict[str, list[tuple[bytes | None, bytes | None, list]]]:
    async def read() -> dict[str, list[tuple[bytes | None, bytes | None, list]]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            topics = sorted(await admin.list_topics())
            described = await admin.describe_topics(topics)
        finally:
            await admin.close()
        tps = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                    isolation_level="read_uncommitted")  # aborted writes too
        await consumer.start()
        try:
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            out: dict[str, list[tuple[bytes | None, bytes | None, list]]] = {t: [] for t in topics}
            pending = {tp for tp in tps if ends[tp] > 0}
            while pending:
                batch = await consumer.getmany(*pending, timeout_ms=500)
                for tp, records in batch.items():
                    out[tp.topic].extend((r.key, r.value, list(r.headers)) for r in records)
                pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
            return out
        finally:
            await consumer.stop()

    return asyncio.run(read())


def test_no_card_number_in_any_kafka_topic(run: Run) -> None:
    topics = _read_every_topic(run.broker.bootstrap)
    assert {"orders.requested", "orders.events", "requests.log", "__consumer_offsets"} <= set(topics)
    assert any(t == "__transaction_state" for t in topics)  # the ledger's transactions
    scan = Scan()
    for topic, records in topics.items():
        for key, value, headers in records:
            where = f"topic {topic}"
            scan.search_bytes(f"{where} key", key or b"")
            scan.search_bytes(f"{where} value", value or b"")
            for name, header in headers:
                scan.search_bytes(f"{where} header {name}", name.encode() + b"=" + (header or b""))
    # A positive control: the scan sees what was written (BIN and last 4 are allowed).
    requested = b"".join(v or b"" for _, v, _ in topics["orders.requested"])
    assert b"455673" in requested and b"9855" in requested
    assert len(topics["requests.log"]) >= len(ALL_PANS)
    assert not scan.findings, scan.report()


_DUMP_CLICKHOUSE = textwrap.dedent(
    """
    import json, sys, clickhouse_connect
    c = clickhouse_connect.get_client(dsn=sys.argv[1])
    system = ("system", "information_schema", "INFORMATION_SCHEMA")
    out = {}
    for (db,) in c.query("SELECT name FROM system.databases").result_rows:
        if db in system:
            continue
        for (table,) in c.query(
            "SELECT name FROM system.tables WHERE database = {db:String}", parameters={"db": db}
        ).result_rows:
            rows = c.query(f"SELECT * FROM `{db}`.`{table}`").result_rows
            out[f"{db}.{table}"] = [json.dumps(list(r), default=str, ensure_ascii=False) for r in rows]
    print(json.dumps(out))
    """
)


def test_no_card_number_in_any_clickhouse_table(run: Run) -> None:
    assert run.exit_code is not None  # stopped: the embedded path is free to open
    dsn = f"chdb:///{(run.process.data_dir / 'clickhouse').resolve()}"
    out = subprocess.run([sys.executable, "-c", _DUMP_CLICKHOUSE, dsn], capture_output=True,
                         timeout=120, check=True, cwd=REPO)  # fmt: skip
    tables: dict[str, list[str]] = json.loads(out.stdout)
    assert {"quadra.orders", "quadra.order_events", "quadra.request_log"} <= set(tables), sorted(tables)
    assert len(tables["quadra.orders"]) >= len(RECIPIENT_PANS) and len(tables["quadra.request_log"]) >= len(ALL_PANS)
    scan = Scan()
    for table, rows in tables.items():
        for row in rows:
            scan.search(f"ClickHouse table {table}", row)
    assert not scan.findings, scan.report()


def test_no_card_number_in_the_logs_or_the_data_dir(run: Run) -> None:
    scan = Scan()
    files = [p for p in run.process.data_dir.rglob("*") if p.is_file()]
    assert run.process.log_path in files  # the process's stdout and stderr
    for path in files:
        scan.search_bytes(f"file {path.relative_to(run.process.data_dir)}", path.read_bytes())
    for path in (run.broker.home / "logs").rglob("*"):
        if path.is_file():
            scan.search_bytes(f"broker log {path.name}", path.read_bytes())
    assert not scan.findings, scan.report()


def _batches(segment: bytes) -> Iterator[int]:
    """The attributes of each record batch in a Kafka log segment (format v2)."""
    pos = 0
    while pos + 61 <= len(segment):
        (length,) = struct.unpack_from(">i", segment, pos + 8)
        if length <= 0:
            return
        (attributes,) = struct.unpack_from(">h", segment, pos + 21)
        yield attributes
        pos += 12 + length


def test_no_card_number_in_the_broker_log_segments(run: Run) -> None:
    segments = list(run.broker.data_dir.rglob("*.log"))
    assert segments
    scan = Scan()
    compressed = batches = 0
    for path in segments:
        data = path.read_bytes()
        for attributes in _batches(data):
            batches += 1
            compressed += attributes & 0x7 != 0
        scan.search_bytes(f"segment {path.parent.name}/{path.name}", data)
    # Uncompressed batches: a raw search of the bytes sees every key, value and header.
    # (Were they compressed, the topic read above would be the check that counts.)
    assert batches > 0 and compressed == 0, f"{compressed} of {batches} record batches are compressed"
    assert not scan.findings, scan.report()
