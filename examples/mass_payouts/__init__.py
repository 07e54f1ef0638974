"""A mass-payouts runner on the Quadra partner API (see README.md)."""
