"""Pure scoring code: features, rules, ML anomaly models, decision policy. Imports only domain/."""
