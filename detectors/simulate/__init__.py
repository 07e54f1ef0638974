"""Labelled order histories for training and backtests: the handbook's simulator and payout frauds."""
