"""Web UI: back office, reports, risk dashboards (server-rendered)."""
