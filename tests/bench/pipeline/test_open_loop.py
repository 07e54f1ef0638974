import asyncio

import pytest

from bench.pipeline.open_loop import OpenLoopResult, due_at, due_count, open_loop


def test_due_count_is_the_sends_whose_due_time_has_come() -> None:
    assert due_count(-0.1, 100, 50) == 0
    assert due_count(0.0, 100, 50) == 1  # send 0 is due at the start
    assert due_count(0.0099, 100, 50) == 1
    assert due_count(0.01, 100, 50) == 2
    assert due_count(0.255, 100, 50) == 26
    assert due_count(99.0, 100, 50) == 50  # never more than the total


def test_due_at_spaces_sends_evenly() -> None:
    assert [due_at(i, 4) for i in range(4)] == [0.0, 0.25, 0.5, 0.75]


def test_achieved_rate_counts_intervals_between_first_and_last_send() -> None:
    result = OpenLoopResult(rate=10, scheduled=11, sent=11, first_send_s=0.0, last_send_s=1.0)
    assert result.achieved_rate == pytest.approx(10.0)
    assert OpenLoopResult(rate=10, scheduled=1, sent=1).achieved_rate == 1.0


async def test_every_scheduled_send_starts_when_answers_are_instant() -> None:
    seen: list[int] = []

    async def send(i: int) -> None:
        seen.append(i)

    result = await open_loop(2000, 0.01, send, max_in_flight=100, drain_s=1)
    assert sorted(seen) == list(range(20))
    assert (result.scheduled, result.sent, result.dropped, result.unfinished) == (20, 20, 0, 0)


async def test_sends_beyond_max_in_flight_are_dropped_not_delayed() -> None:
    never = asyncio.Event()

    async def stuck(i: int) -> None:
        await never.wait()

    result = await open_loop(2000, 0.01, stuck, max_in_flight=3, drain_s=0)
    assert result.sent == 3
    assert result.dropped == 17
    assert result.unfinished == 3  # cancelled after the drain time


async def test_a_send_that_raises_stops_the_loop_and_reraises() -> None:
    async def broken(i: int) -> None:
        raise ValueError("bench bug")

    with pytest.raises(ValueError, match="bench bug"):
        await open_loop(1000, 1.0, broken, max_in_flight=10, drain_s=1)


@pytest.mark.parametrize(
    "argv",
    [["--rates", ""], ["--rates", "0"], ["--rates", "-5"], ["--rates", "abc"], ["--rates", "1e9"],
     ["--workers", "3"], ["--duration", "0"], ["--baselines", "redis"], ["--max-in-flight", "0"]],
)
def test_bad_options_are_refused(argv: list[str]) -> None:
    from bench.pipeline.cli import parse_args

    with pytest.raises(SystemExit) as exc:
        parse_args(argv)
    assert exc.value.code == 2


@pytest.mark.parametrize("argv", [["--companies", "0"], ["--companies", "101"], ["--companies", "x"]])
def test_bad_company_counts_are_refused(argv: list[str]) -> None:
    from bench.pipeline.cli import parse_args

    with pytest.raises(SystemExit):
        parse_args(argv)
