"""Example partner applications: they use only the public API, through `quadra_client`."""
