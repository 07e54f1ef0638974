"""The real sink in a process of its own, on an embedded ClickHouse at a given path (this lets a
test put that path on a small filesystem it fills). Runs until `<workdir>/stop` exists, keeping
`<workdir>/status.json` current; at the end it adds the orders ClickHouse holds.

    python -m tests.streams.sink_process BOOTSTRAP PREFIX CLICKHOUSE_PATH WORKDIR
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

from analytics.clickhouse import ClickHouse
from analytics.migrate import migrate
from quadra.runtime import sink_routes
from streams.sink import Sink, SinkConfig
from streams.topics import TopicNames


async def main(bootstrap: str, prefix: str, path: str, workdir: Path) -> None:
    ch = ClickHouse.connect(f"chdb:///{path}", "quadra")
    migrate(ch)
    sink = Sink(SinkConfig(bootstrap, f"{prefix}sink", 100, 0.1), ch, sink_routes(TopicNames(prefix)))
    await sink.start()
    task = asyncio.create_task(sink.run())
    status = workdir / "status.json"
    while not (workdir / "stop").exists() and not task.done():
        status.write_text(json.dumps({"written": sink.written_messages}))
        await asyncio.sleep(0.1)
    await sink.stop()
    await task
    rows = await ch.query(f"SELECT count(), uniqExact(order_id) FROM {ch.table('orders')} FINAL")
    status.write_text(json.dumps({"written": sink.written_messages, "orders": [list(r) for r in rows], "done": True}))
    ch.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4])))
