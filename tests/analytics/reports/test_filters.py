"""Which filter conditions may run before FINAL (PREWHERE) and which only after it (WHERE)."""

from __future__ import annotations

from analytics.reports.filters import FIXED_COLUMNS, TransactionFilter, final_clause, where_clause
from tests.builders import T0


def test_status_and_provider_are_filtered_after_final_only() -> None:
    f = TransactionFilter(
        company_ids=("c",), statuses=("completed",), product_types=("p",), product_ids=("i",),
        providers=("bank",), currency="EUR", created_from=T0, created_to=T0, amount_min=1,
        amount_max=2, end_user_id="u", card_last4="1234", external_id="e", sandbox=False,
    )  # fmt: skip
    pre, _, post = final_clause(f, ("order_id > {after:String}",)).sql.partition(" WHERE ")
    assert post == "status IN {statuses:Array(String)} AND provider IN {providers:Array(String)}"
    assert pre.startswith("PREWHERE ") and "status" not in pre and "provider" not in pre
    assert pre.endswith("AND order_id > {after:String}")
    for column in ("company_id", "product_type", "product_id", "currency", "created_at", "amount_value",
                   "end_user_id", "card_last4", "external_id", "sandbox"):  # fmt: skip
        assert f"{column} " in pre
    assert "status" not in FIXED_COLUMNS and "provider" not in FIXED_COLUMNS
    assert final_clause(f).parameters == where_clause(f).parameters


def test_clauses_of_partial_filters() -> None:
    assert final_clause(TransactionFilter()).sql == ""
    assert final_clause(TransactionFilter(statuses=("failed",))).sql == "WHERE status IN {statuses:Array(String)}"
    assert final_clause(TransactionFilter(currency="EUR")).sql == "PREWHERE currency = {currency:String}"


def test_one_company_is_an_equality() -> None:
    # `=` lets ClickHouse read the company's rows in key order (a page stops early); `IN` does not.
    assert final_clause(TransactionFilter(company_ids=("a",))).sql == "PREWHERE company_id = {company_id:String}"
    two = final_clause(TransactionFilter(company_ids=("a", "b")))
    assert two.sql == "PREWHERE company_id IN {company_ids:Array(String)}" and two.parameters == {"company_ids": ["a", "b"]}
