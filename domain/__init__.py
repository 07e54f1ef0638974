"""Pure domain model: money, orders, intake rules, events. No I/O, imports nothing of ours."""
