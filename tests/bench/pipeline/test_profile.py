from bench.pipeline.profile import by_stage, parse, top_self

RAW = [
    "<module> (quadra:10);run (asyncio/runners.py:190);Sink._flush (streams/sink.py:266);"
    "ClickHouse.insert_from_json_sync (analytics/clickhouse.py:171);Connection.query (chdb/x.py:1) 5\n",
    "<module> (quadra:10);EdgeMiddleware.__call__ (api/middleware.py:197);dumps (streams/messages.py:81) 3\n",
    "<module> (quadra:10);Dispatch._settle (streams/dispatch.py:105);send (aiokafka/conn.py:1) 2\n",
    "Thread._bootstrap (threading.py:1002);something (x.py:1) 1\n",
    "garbage line without a count\n",
]


def test_parse_skips_lines_without_a_count() -> None:
    stacks = parse(RAW)
    assert [n for _, n in stacks] == [5, 3, 2, 1]
    assert stacks[1][0][-1] == "dumps (streams/messages.py:81)"


def test_by_stage_takes_the_most_specific_stage_in_the_stack() -> None:
    shares = by_stage(parse(RAW))
    assert shares["sink: ClickHouse inserts (chdb, worker threads)"] == 5
    assert shares["partner API request handling (api/)"] == 3
    assert shares["dispatch: provider calls (httpx client)"] == 2  # not aiokafka, its leaf
    assert shares["other"] == 1


def test_top_self_counts_innermost_frames() -> None:
    assert top_self(parse(RAW)).most_common(1) == [("Connection.query (chdb/x.py:1)", 5)]
