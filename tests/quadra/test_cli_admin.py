"""`quadra admin create-user` refuses bad input before it touches Kafka."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from quadra.cli import app

RUNNER = CliRunner()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--email", "nobody", "--name", "N", "--role", "admin"], "a long good password\n", "email"),
        (["--email", "n@q.test", "--name", "N", "--role", "admin"], "short\n", "password"),
        (["--email", "n@q.test", "--name", " ", "--role", "admin"], "a long good password\n", "name"),
        (["--email", "n@q.test", "--name", "N", "--role", "root"], "a long good password\n", "root"),
    ],
)
def test_bad_input_is_refused_with_exit_code_2(
    args: list[str], stdin: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUADRA_KAFKA_BOOTSTRAP", "127.0.0.1:1")  # would fail loudly if reached
    result = RUNNER.invoke(app, ["admin", "create-user", *args, "--password-stdin"], input=stdin)
    assert result.exit_code == 2, result.output
    assert message in result.output.lower()
