"""HTTP edges: the partner REST API (and, later, the staff JSON API)."""
