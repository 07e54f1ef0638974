"""Fraud models: training, safe storage (skops + manifest), scoring with reasons."""
