"""The Grafana export: the committed dashboards equal freshly generated ones, every panel queries
the provisioned data source with the plugin's macros, and that SQL, expanded as the plugin
expands it, runs on ClickHouse and answers what the staff API answers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from analytics.clickhouse import ClickHouse
from analytics.dashboards import grafana
from analytics.dashboards.reads import ClickHousePanels, PanelQuery
from analytics.dashboards.risk import RISK_DASHBOARD
from analytics.dashboards.sql import api_dialect, grafana_dialect
from analytics.reports.common import utc
from tests.analytics.dashboards.conftest import DAY, T

ROOT = Path(__file__).resolve().parents[3]
GRAFANA = ROOT / "infra" / "grafana"


def _committed() -> dict[str, Any]:
    return dict(orjson.loads((GRAFANA / "dashboards" / "quadra-risk.json").read_bytes()))


def test_the_committed_dashboards_are_the_generated_ones() -> None:
    for name, content in grafana.rendered().items():
        path = GRAFANA / "dashboards" / name
        assert path.is_file(), f"{path} missing: run `quadra dashboards export-grafana`"
        assert path.read_bytes() == content, f"{path} is stale: run `quadra dashboards export-grafana`"
    assert sorted(p.name for p in (GRAFANA / "dashboards").glob("*.json")) == sorted(grafana.rendered())


def test_export_writes_the_files(tmp_path: Path) -> None:
    written = grafana.export(tmp_path / "out")
    assert [p.name for p in written] == ["quadra-risk.json"]
    assert written[0].read_bytes() == grafana.rendered()["quadra-risk.json"]


def test_every_panel_queries_the_provisioned_datasource_with_the_plugin_macros() -> None:
    provisioned = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "clickhouse.yaml").read_text())
    source = provisioned["datasources"][0]
    assert source["type"] == "grafana-clickhouse-datasource" and source["jsonData"]["defaultDatabase"] == "quadra"
    board = _committed()
    assert board["uid"] == "quadra-risk" and [v["name"] for v in board["templating"]["list"]] == ["company"]
    assert [p["title"] for p in board["panels"]] == [p.title for p in RISK_DASHBOARD.panels]
    for panel in board["panels"]:
        (target,) = panel["targets"]
        assert panel["datasource"]["uid"] == target["datasource"]["uid"] == source["uid"]
        sql = target["rawSql"]
        assert "$__fromTime_ms" in sql and "$__toTime_ms" in sql and "${company:sqlstring}" in sql
        assert not re.search(r"(?<!\$)\{[a-z_]+:[A-Za-z]", sql), "an API parameter placeholder left in Grafana SQL"
        assert "$DB" not in sql and "$FROM" not in sql and "quadra." in sql
        if panel["type"] == "timeseries":
            assert target["format"] == 0 and "$__timeInterval(" in sql
        else:
            assert target["format"] == 1


def _as_grafana_runs_it(sql: str, database: str, company: str, interval_s: int) -> str:
    """The plugin's macro expansion (documented output), and Grafana's `:sqlstring` quoting."""
    from_ms, to_ms = int(T.timestamp() * 1000), int((T + DAY).timestamp() * 1000)
    sql = re.sub(r"\$__timeInterval\(([^()]+)\)",
                 lambda m: f"toStartOfInterval(toDateTime({m.group(1)}), INTERVAL {interval_s} second)", sql)  # fmt: skip
    sql = sql.replace("$__fromTime_ms", f"fromUnixTimestamp64Milli({from_ms})")
    sql = sql.replace("$__toTime_ms", f"fromUnixTimestamp64Milli({to_ms})")
    sql = sql.replace("${company:sqlstring}", "'" + company.replace("'", "''") + "'")
    return re.sub(r"\bquadra\.", f"{database}.", sql)


@pytest.mark.parametrize("company", ["", "cmp_a", "x' OR 1=1 --"])
async def test_the_grafana_sql_answers_what_the_api_answers(stored: ClickHouse, company: str) -> None:
    reads = ClickHousePanels(stored)
    q = PanelQuery(T, T + DAY, 3600, company or None)
    dialect = grafana_dialect("quadra")
    for panel in RISK_DASHBOARD.panels:
        expected = await reads.rows(panel, q)
        sql = _as_grafana_runs_it(dialect.render(panel.sql), stored.database, company, 3600)
        got = [tuple(map(utc, row)) for row in await stored.query(sql, settings={"session_timezone": "UTC"})]
        assert [tuple(map(str, r)) for r in got] == [tuple(map(str, r)) for r in expected], panel.id


def test_markers_render_and_misspelt_ones_are_refused() -> None:
    api = api_dialect("quadra")
    assert api.render("SELECT $BUCKET(at) FROM $DB.t WHERE at >= $FROM AND c = $COMPANY") == (
        "SELECT toStartOfInterval(at, INTERVAL {bucket_s:UInt32} SECOND) FROM quadra.t "
        "WHERE at >= {from:DateTime64(3, 'UTC')} AND c = {company_id:String}"
    )
    with pytest.raises(ValueError, match="unknown marker"):
        api.render("SELECT 1 FROM $DB.t WHERE at >= $FRM")
    with pytest.raises(ValueError):
        api_dialect("quadra; DROP TABLE x")
    with pytest.raises(ValueError):
        grafana_dialect("quadra", "company}")
