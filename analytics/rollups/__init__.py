"""Daily rollups of orders and ledger entries that reports read instead of whole days of
`FINAL` scans, exact because they are never used for a day that changed since (refresh.py)."""
