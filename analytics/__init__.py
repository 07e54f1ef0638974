"""ClickHouse: schema migrations, batched writers and report queries (clickhouse-connect only)."""
