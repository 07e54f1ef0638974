"""Payout adapters (one per provider) and the provider sandbox server. Imports only domain/."""
