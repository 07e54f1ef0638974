"""Kafka side: topic contracts, message codec, the Faust worker app and its agents, the sink."""
