"""`quadra dashboards …`: the dashboards defined in analytics/dashboards, exported for Grafana."""

from __future__ import annotations

from pathlib import Path

import typer

dashboards_app = typer.Typer(help="Dashboards: export the risk dashboard for Grafana.", no_args_is_help=True)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "infra" / "grafana" / "dashboards"


@dashboards_app.command("export-grafana")
def export_grafana(
    out: Path = typer.Option(DEFAULT_OUT, "--out", help="Directory for the dashboard JSON files"),
) -> None:
    """Write every dashboard as Grafana JSON (ClickHouse data source, the plugin's time macros).

    The files under infra/grafana/dashboards/ are provisioned by the `grafana` service of
    compose.yaml; run this after changing a panel in analytics/dashboards and commit the result
    (a test fails while they differ)."""
    from analytics.dashboards.grafana import export

    for path in export(out):
        typer.echo(f"wrote {path}")
