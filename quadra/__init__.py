"""Composition root: settings, wiring, command line, local Kafka broker manager."""
