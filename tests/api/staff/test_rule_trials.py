"""Testing and backtesting rule versions over in-memory stored decisions."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from api.staff.rule_service import RuleAdmin, RuleDraft
from api.staff.rule_trials import BacktestTooLarge, RuleTrials
from detectors.rules.trials import HistoryPeriod
from domain.errors import InvalidCommand, NotFound
from domain.staff import Role, StaffActor
from streams.fraud_rules import RuleBook
from tests.api.fakes import RecordingAuditTrail
from tests.api.staff.fakes import InMemoryStaff
from tests.api.staff.rule_fakes import InMemoryDecisionHistory, InMemoryRuleStore, stored
from tests.builders import T0

DAY = timedelta(days=1)
ACTOR = StaffActor(InMemoryStaff().add(Role.RISK), "req", "10.0.0.1", T0)


@pytest.fixture
def trials() -> tuple[RuleTrials, RuleAdmin, InMemoryDecisionHistory]:
    book = RuleBook()
    admin = RuleAdmin(book, InMemoryRuleStore(book), RecordingAuditTrail())
    # Two days of orders: every 4th is a fraud; amounts 100.00 .. 1,900.00.
    history = InMemoryDecisionHistory(
        [stored(n, hours=n * 2.5, amount=10_000 * (n + 1), user_count_1h=float(n % 7)) for n in range(19)]
        + [stored(100, company="cmp_other", hours=1, amount=10_000_000)],
        frauds={f"ord_{n}" for n in range(0, 19, 4)} | {"ord_100"},
    )
    return RuleTrials(admin, history, max_rows=50, chunk_rows=4), admin, history


async def test_a_version_is_tested_on_stored_orders_with_the_values_it_read(trials: tuple) -> None:
    t, admin, _ = trials
    await admin.create(ACTOR, "big", RuleDraft("Big", "amount_major >= 1000 && user_count_1h > 2", "review", None, 0,
                                               "active", ""))  # fmt: skip
    result = await t.test("big", None, ["ord_12", "ord_3", "ord_12", "ord_404"], None)
    assert result.rule.ref == "big@v1" and result.missing == ("ord_404",)
    assert [(o.order_id, o.fired) for o in result.orders] == [("ord_3", False), ("ord_12", True)]
    assert result.orders[1].values == {"amount_major": 1300, "user_count_1h": 5}
    assert result.orders[1].stored_outcome == "approved"
    with pytest.raises(NotFound):
        await t.test("big", 2, ["ord_1"], None)
    with pytest.raises(InvalidCommand):
        await t.test("big", None, [f"ord_{n}" for n in range(101)], None)


async def test_samples_are_typed_like_the_rule_vocabulary(trials: tuple) -> None:
    t, _, _ = trials
    result = await t.test("blocked_bin_country", None, None, [
        {"rcpt_is_card": True, "card_bin": "999101"}, {"rcpt_is_card": True, "card_bin": "411111"}, {"card_bin": "999101"},
    ])  # fmt: skip
    assert result.rule.ref == "blocked_bin_country@v1"
    assert [o.fired for o in result.orders] == [True, False, False]
    assert result.orders[0].values == {"bin_country": "KP", "rcpt_is_card": True}
    velocity = await t.test("velocity_user_1h", None, None, [{"user_count_1h": 5}, {"user_count_1h": 4}])
    assert [o.fired for o in velocity.orders] == [True, False]
    assert velocity.orders[0].values == {"user_count_1h": 5}
    for bad in ({"user_count_1h": "5"}, {"user_count_1h": 1.5}, {"is_night": 1}, {"no_such": 1},
                {"amount_major": 5}, {"currency": 3}, {"user_mean_7d": float("nan")}):  # fmt: skip
        with pytest.raises(InvalidCommand):
            await t.test("velocity_user_1h", None, None, [bad])


async def test_backtest_counts_hits_per_day_precision_and_recall_against_the_version_in_force(trials: tuple) -> None:
    t, admin, history = trials
    # In force: the default velocity_user_1h@v1 (user_count_1h >= 5): n % 7 in (5, 6).
    await admin.add_version(ACTOR, "velocity_user_1h", 1, RuleDraft(expression="user_count_1h >= 3"))
    result = await t.backtest("velocity_user_1h", 2, HistoryPeriod(T0, T0 + 2 * DAY, "cmp_seeded"))
    assert result.decisions == 19 and history.pages == 5  # 4 rows a page: 19 rows in 5 pages
    hit = [n for n in range(19) if n % 7 >= 3]  # 3, 4, 5, 6, 10, 11, 12, 13, 17, 18
    frauds = set(range(0, 19, 4))  # 0, 4, 8, 12, 16
    assert result.tally.hits == len(hit) == 10
    assert result.tally.hit_frauds == len(frauds & set(hit)) == 2 and result.tally.frauds == 5
    assert result.tally.precision == pytest.approx(0.2) and result.tally.recall == pytest.approx(0.4)
    per_day = Counter((T0 + timedelta(hours=n * 2.5)).date() for n in hit)
    assert dict(result.tally.per_day) == dict(per_day) and len(per_day) == 3
    assert result.in_force is not None and result.in_force.ref == "velocity_user_1h@v1"
    assert result.in_force_tally is not None and result.in_force_tally.hits == len([n for n in range(19) if n % 7 >= 5])
    # A rule not in force has nothing to compare with; the company filter keeps cmp_other out.
    await admin.create(ACTOR, "huge", RuleDraft("Huge", "amount_major >= 50000", "decline", None, 0, "shadow", ""))
    huge = await t.backtest("huge", None, HistoryPeriod(T0, T0 + 2 * DAY))
    assert huge.in_force is None and huge.tally.hits == 1 and huge.tally.precision == 1.0
    assert (await t.backtest("huge", None, HistoryPeriod(T0, T0 + 2 * DAY, "cmp_seeded"))).tally.hits == 0


async def test_backtest_periods_and_rows_are_capped(trials: tuple) -> None:
    t, _, history = trials
    with pytest.raises(InvalidCommand):
        await t.backtest("velocity_user_1h", None, HistoryPeriod(T0, T0 + 93 * DAY))
    with pytest.raises(InvalidCommand):
        await t.backtest("velocity_user_1h", None, HistoryPeriod(T0, T0))
    history.decisions += [stored(200 + n, hours=30) for n in range(40)]
    with pytest.raises(BacktestTooLarge):
        await t.backtest("velocity_user_1h", None, HistoryPeriod(T0, T0 + 2 * DAY))
    assert history.pages == 0  # refused before reading a row
