"""Dashboard definitions: panels with one SQL each, read by the staff API and exported to Grafana."""
