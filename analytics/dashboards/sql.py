"""One SQL text per dashboard panel, rendered for two readers: this API (ClickHouse bound
parameters) and Grafana (the ClickHouse data source plugin's macros and a dashboard variable).

A panel's SQL names what varies with a few markers, never with string formatting of values:

    $DB              the database holding the tables (`$DB.decisions`)
    $FROM, $TO       the time range [from, to), DateTime64(3, 'UTC')
    $BUCKET(column)  the start of the time bucket `column` falls in (a DateTime)
    $COMPANY         the company filter, a String: '' means every company

Rendering only swaps markers for fixed text (parameter placeholders or macros); the values
themselves travel as bound parameters (API) or are interpolated by Grafana (`:sqlstring`
quotes and escapes the variable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKER = re.compile(r"\$(DB|FROM|TO|COMPANY)\b|\$BUCKET\(([^()]+)\)")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Dialect:
    database: str
    time_from: str
    time_to: str
    bucket: str  # with `{column}` where the bucketed column goes
    company: str

    def render(self, template: str) -> str:
        def swap(match: re.Match[str]) -> str:
            name, column = match.group(1), match.group(2)
            if column is not None:
                return self.bucket.format(column=column.strip())
            return {"DB": self.database, "FROM": self.time_from, "TO": self.time_to,
                    "COMPANY": self.company}[name]  # fmt: skip

        leftover = _MARKER.sub("", template)
        if "$" in leftover:  # a misspelled marker would reach ClickHouse as text
            raise ValueError(f"unknown marker in panel SQL near {leftover[leftover.index('$'):][:40]!r}")
        return _MARKER.sub(swap, template)


def api_dialect(database: str) -> Dialect:
    """Bound parameters `from`, `to` (DateTime64(3)), `bucket_s` (UInt32), `company_id` (String)."""
    if not _IDENTIFIER.match(database):
        raise ValueError(f"bad database name {database!r}")
    return Dialect(
        database=database,
        time_from="{from:DateTime64(3, 'UTC')}",
        time_to="{to:DateTime64(3, 'UTC')}",
        bucket="toStartOfInterval({column}, INTERVAL {{bucket_s:UInt32}} SECOND)",
        company="{company_id:String}",
    )


def grafana_dialect(database: str, company_variable: str = "company") -> Dialect:
    """The plugin's macros (grafana-clickhouse-datasource v4): the dashboard's time range with
    millisecond precision, its auto interval for buckets, and a text variable for the company."""
    if not _IDENTIFIER.match(database) or not _IDENTIFIER.match(company_variable):
        raise ValueError("bad database or variable name")
    return Dialect(
        database=database,
        time_from="$__fromTime_ms",
        time_to="$__toTime_ms",
        bucket="$__timeInterval({column})",
        company=f"${{{company_variable}:sqlstring}}",
    )
