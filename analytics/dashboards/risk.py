"""The risk analysts' dashboard: every panel's SQL, shared by the staff API and Grafana.

Where the times come from: a decision row's `at` is its order's `created_at` (intake stamps
the decision, and the order's decided status, with the time the order was received, so
replays decide identically). The only decisions whose time differs from the order's are the
analysts' verdicts on held orders: an order case opens at the order's creation time and
resolves at the verdict (`fraud_case_events`), which is what the latency panel reads.

The big tables are read without FINAL: decisions, case events and fraud reports are written
once per id and only a redelivered Kafka batch stores a row twice until the next merge; counting
such a row twice for a while is acceptable on a live chart, a FINAL merge of millions of rows
per refresh is not. The top-suspects panels read `flagged_orders` (migration 0009: only the held
and declined orders, with their end user and recipient; small, so read with FINAL) instead of
`orders`, where the few flagged orders of a range cost a scan of every company's part of it, and
their scores from `flagged_decisions` (migration 0010: those orders' decisions) likewise.

The staff API answers the panels over decisions from hourly rollups instead (rollup_panels.py),
and the top-suspects panels from an hourly rollup of the flagged orders (suspect_panels.py): the
same result as this SQL over the tables read with FINAL, in a fraction of the time. This SQL
stays their definition and Grafana's query.
"""

from __future__ import annotations

from analytics.dashboards.panels import Column, Dashboard, Panel, PanelKind, Unit

_IN_RANGE = "at >= $FROM AND at < $TO AND ($COMPANY = '' OR company_id = $COMPANY)"
_OUTCOMES = (Column("approved", Unit.COUNT), Column("in_review", Unit.COUNT), Column("declined", Unit.COUNT))
_BY_OUTCOME = (
    "countIf(outcome = 'approved') AS approved, countIf(outcome = 'in_review') AS in_review, "
    "countIf(outcome = 'declined') AS declined"
)
SCORE_BUCKETS = 20  # histogram buckets of width 0.05 over [0, 1]
TOP = 20  # rows of the top lists

DECISIONS_BY_OUTCOME = Panel(
    id="decisions_by_outcome",
    title="Decisions over time by outcome",
    title_ru="Решения по времени и исходу",
    kind=PanelKind.TIMESERIES_STACKED,
    columns=(Column("time", Unit.TIME), *_OUTCOMES),
    sql=f"""
SELECT $BUCKET(at) AS time, {_BY_OUTCOME}
FROM $DB.decisions
WHERE {_IN_RANGE}
GROUP BY time
ORDER BY time""",
    description="The fraud check's decision per new order, by the order's creation time.",
)

ALERTS_BY_RULE = Panel(
    id="alerts_by_rule",
    title="Alerts by rule",
    title_ru="Срабатывания по правилам",
    kind=PanelKind.BAR,
    columns=(Column("rule", Unit.TEXT), Column("fired", Unit.COUNT), Column("shadow", Unit.COUNT)),
    sql=f"""
SELECT splitByChar('@', hit.2)[1] AS rule, countIf(hit.1 = 1) AS fired, countIf(hit.1 = 0) AS shadow
FROM $DB.decisions
ARRAY JOIN arrayConcat(arrayMap(r -> (toUInt8(1), r), fired_rules),
                       arrayMap(r -> (toUInt8(0), r), shadow_rules)) AS hit
WHERE {_IN_RANGE}
GROUP BY rule
ORDER BY fired + shadow DESC, rule
LIMIT 30""",
    description="Enforced and shadow hits per rule (all versions of a rule together).",
)

SCORE_DISTRIBUTION = Panel(
    id="score_distribution",
    title="Score distribution",
    title_ru="Распределение скоринга",
    kind=PanelKind.HISTOGRAM,
    columns=(Column("score", Unit.TEXT), *_OUTCOMES),
    sql=f"""
SELECT toDecimalString(b / {SCORE_BUCKETS}, 2) AS score, approved, in_review, declined
FROM (
    SELECT least(toUInt8(floor(score * {SCORE_BUCKETS})), {SCORE_BUCKETS - 1}) AS b, {_BY_OUTCOME}
    FROM $DB.decisions
    WHERE {_IN_RANGE} AND score >= 0
    GROUP BY b
    ORDER BY b WITH FILL FROM 0 TO {SCORE_BUCKETS}
)""",
    description="Decisions per model score bucket (lower bound shown); decisions without a model left out.",
)

_SCORES = f"""
LEFT JOIN (SELECT order_id, max(score) AS score FROM $DB.flagged_decisions
           WHERE {_IN_RANGE} AND outcome IN ('declined', 'in_review') GROUP BY order_id) AS d
       ON d.order_id = f.order_id"""
_FLAGGED_IN_RANGE = (
    "SELECT * FROM $DB.flagged_orders FINAL "
    "WHERE created_at >= $FROM AND created_at < $TO AND ($COMPANY = '' OR company_id = $COMPANY)"
)

TOP_END_USERS = Panel(
    id="top_end_users",
    title="Top suspicious end users",
    title_ru="Подозрительные конечные пользователи",
    kind=PanelKind.TABLE,
    columns=(
        Column("end_user_id", Unit.TEXT), Column("company_id", Unit.TEXT), Column("declined", Unit.COUNT),
        Column("in_review", Unit.COUNT), Column("max_score", Unit.SCORE),
    ),
    sql=f"""
SELECT f.end_user_id AS end_user_id, f.company_id AS company_id,
       countIf(f.outcome = 'declined') AS declined, countIf(f.outcome = 'in_review') AS in_review,
       if(max(d.score) < 0, NULL, round(max(d.score), 3)) AS max_score
FROM ({_FLAGGED_IN_RANGE}) AS f{_SCORES}
GROUP BY end_user_id, company_id
ORDER BY declined + in_review DESC, max_score DESC, end_user_id, company_id
LIMIT {TOP}
SETTINGS join_use_nulls = 1""",
    description="End users with the most orders the fraud check declined or held.",
)

TOP_RECIPIENTS = Panel(
    id="top_recipients",
    title="Top suspicious recipients",
    title_ru="Подозрительные получатели",
    kind=PanelKind.TABLE,
    columns=(
        Column("recipient", Unit.TEXT), Column("recipient_kind", Unit.TEXT), Column("card", Unit.TEXT),
        Column("declined", Unit.COUNT), Column("in_review", Unit.COUNT), Column("max_score", Unit.SCORE),
    ),
    # Cards by their token and masked number (BIN and last four, as flagged_orders stores them).
    sql=f"""
SELECT f.recipient AS recipient, f.recipient_kind AS recipient_kind, f.card AS card,
       countIf(f.outcome = 'declined') AS declined, countIf(f.outcome = 'in_review') AS in_review,
       if(max(d.score) < 0, NULL, round(max(d.score), 3)) AS max_score
FROM ({_FLAGGED_IN_RANGE}) AS f{_SCORES}
WHERE f.recipient != ''
GROUP BY recipient, recipient_kind, card
ORDER BY declined + in_review DESC, max_score DESC, recipient, recipient_kind, card
LIMIT {TOP}
SETTINGS join_use_nulls = 1""",
    description="Card tokens, phones and e-mail addresses receiving the most declined or held orders.",
)

FRAUD_RATE_BY_COMPANY = Panel(
    id="fraud_rate_by_company",
    title="Fraud rate per company",
    title_ru="Доля мошенничества по компаниям",
    kind=PanelKind.BAR,
    columns=(
        Column("company_id", Unit.TEXT), Column("fraud_rate", Unit.RATIO), Column("decline_rate", Unit.RATIO),
        Column("orders", Unit.COUNT), Column("declined", Unit.COUNT), Column("confirmed_fraud", Unit.COUNT),
    ),
    sql=f"""
SELECT d.company_id AS company_id,
       round(r.confirmed / d.orders, 5) AS fraud_rate, round(d.declined / d.orders, 5) AS decline_rate,
       d.orders AS orders, d.declined AS declined, r.confirmed AS confirmed_fraud
FROM (SELECT company_id, count() AS orders, countIf(outcome = 'declined') AS declined
      FROM $DB.decisions WHERE {_IN_RANGE} GROUP BY company_id) AS d
LEFT JOIN (SELECT company_id, uniqExact(order_id) AS confirmed FROM $DB.fraud_reports
           WHERE reported_at >= $FROM AND reported_at < $TO AND ($COMPANY = '' OR company_id = $COMPANY)
           GROUP BY company_id) AS r ON r.company_id = d.company_id
ORDER BY fraud_rate DESC, decline_rate DESC, company_id
LIMIT {TOP}""",
    description="Orders confirmed fraudulent (reported in the range) and declined, per order decided.",
)

APPROVAL_LATENCY = Panel(
    id="approval_latency",
    title="Approval latency of held orders",
    title_ru="Время до решения по задержанным заказам",
    kind=PanelKind.TIMESERIES,
    columns=(Column("time", Unit.TIME), Column("p50_ms", Unit.MS), Column("p95_ms", Unit.MS),
             Column("p99_ms", Unit.MS)),  # fmt: skip
    # An order case opens at its order's creation time and resolves with the analyst's verdict:
    # the only decisions that take time (the fraud check's own are stamped with the order's
    # creation time). Verdicts on orders more than 30 days old are left out, which bounds the
    # read to the range and 30 days before it.
    sql="""
SELECT time, q[1] AS p50_ms, q[2] AS p95_ms, q[3] AS p99_ms
FROM (
    SELECT $BUCKET(decided_at) AS time,
           arrayMap(v -> toInt64(round(v)), quantiles(0.5, 0.95, 0.99)(
               toUnixTimestamp64Milli(decided_at) - toUnixTimestamp64Milli(opened_at))) AS q
    FROM (
        SELECT case_id, minIf(at, kind = 'opened') AS opened_at, minIf(at, kind = 'resolved') AS decided_at
        FROM $DB.fraud_case_events
        WHERE at >= $FROM - INTERVAL 30 DAY AND at < $TO AND ($COMPANY = '' OR company_id = $COMPANY)
          AND order_id != '' AND kind IN ('opened', 'resolved')
        GROUP BY case_id
        HAVING countIf(kind = 'opened') > 0 AND countIf(kind = 'resolved') > 0 AND decided_at >= $FROM
    )
    GROUP BY time
)
ORDER BY time""",
    description="Held order created → approved or declined by an analyst, p50/p95/p99 by verdict time.",
)

RISK_DASHBOARD = Dashboard(
    uid="quadra-risk",
    title="Quadra risk",
    title_ru="Quadra: риски",
    panels=(
        DECISIONS_BY_OUTCOME, ALERTS_BY_RULE, SCORE_DISTRIBUTION, APPROVAL_LATENCY, FRAUD_RATE_BY_COMPANY,
        TOP_END_USERS, TOP_RECIPIENTS,
    ),
)
