"""A fake of the dashboard panel reads: canned rows per panel id, every query recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analytics.dashboards.panels import Panel
from analytics.dashboards.reads import PanelQuery

T0 = datetime.fromisoformat("2026-11-25T00:00:00+00:00")


def canned_rows() -> dict[str, list[tuple[Any, ...]]]:
    return {
        "decisions_by_outcome": [(T0.replace(hour=1), 90, 3, 7)],
        "alerts_by_rule": [("card_burst", 5, 0), ("new_device", 0, 2)],
        "score_distribution": [("0.00", 80, 0, 0), ("0.95", 0, 1, 6)],
        "approval_latency": [(T0.replace(hour=2), 60_000, 900_000, 990_000)],
        "fraud_rate_by_company": [("cmp_seeded", 0.02, 0.07, 100, 7, 2)],
        "top_end_users": [("eu_1", "cmp_seeded", 2, 1, 0.97)],
        "top_recipients": [("tok_abc", "card", "411111…1111", 2, 0, None)],
    }


@dataclass
class FakePanels:
    rows_by_panel: dict[str, list[tuple[Any, ...]]] = field(default_factory=canned_rows)
    queries: list[tuple[str, PanelQuery]] = field(default_factory=list)

    async def rows_of(self, panels: Sequence[Panel], q: PanelQuery) -> list[list[tuple[Any, ...]]]:
        self.queries.extend((panel.id, q) for panel in panels)
        return [list(self.rows_by_panel.get(panel.id, [])) for panel in panels]
