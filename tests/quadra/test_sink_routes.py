"""The sink's routes split between the main sink and the request log's slower one."""

from __future__ import annotations

from quadra.sink_routes import sink_routes, split_log_routes
from quadra.settings import Settings
from streams.topics import REQUESTS_LOG, TopicNames


def test_every_route_goes_to_exactly_one_sink_and_the_request_log_to_the_slower_one() -> None:
    names = TopicNames("t.")
    routes = sink_routes(names)
    main, logs = split_log_routes(routes, names)
    assert [r.topic for r in logs] == [names(REQUESTS_LOG)]
    assert sorted(r.topic for r in main + logs) == sorted(r.topic for r in routes)
    assert not {r.topic for r in main} & {r.topic for r in logs}


def test_the_request_log_flushes_less_often_than_the_rest_by_default() -> None:
    fields = Settings.model_fields
    assert fields["sink_log_flush_interval_s"].default > fields["sink_flush_interval_s"].default
