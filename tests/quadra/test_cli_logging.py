"""What `quadra up` logs by default: no line per provider call or webhook attempt."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from quadra.cli import _configure_logging


@pytest.fixture
def restored_levels() -> Iterator[None]:
    names = ("httpx", "httpcore", "aiokafka", "")
    before = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("restored_levels")
def test_http_client_requests_are_not_logged_one_line_each_unless_verbose() -> None:
    _configure_logging(verbose=False)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpcore").isEnabledFor(logging.INFO)
    assert logging.getLogger("httpx").isEnabledFor(logging.WARNING)
    _configure_logging(verbose=True)
    assert logging.getLogger("httpx").isEnabledFor(logging.INFO)
