"""Offline runs over a JSONL file of orders: features in time order, train, backtest, metrics."""
