"""Report queries over ClickHouse: parameterized SQL only (values never enter the SQL text)."""
