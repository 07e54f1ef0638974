"""The staff JSON API under /staff/v1: sign-in, companies and API keys, staff accounts."""
