"""The two ways the bench goes wrong: the whole run cannot go on, or one operation failed."""


class BenchError(RuntimeError):
    """The run cannot go on; the message says why."""


class Failed(Exception):
    """One operation failed; the message is its error kind (aggregated in the report)."""
