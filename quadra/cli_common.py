"""What every `quadra` command shares: settings loading and user-facing failure."""

from __future__ import annotations

from typing import NoReturn

import typer
from pydantic import ValidationError

from quadra.settings import Settings


def fail(message: object) -> NoReturn:
    """A problem that is the user's to fix: say what it is, without a traceback."""
    typer.echo(f"quadra: {message}", err=True)
    raise typer.Exit(2)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        fail(f"invalid settings:\n{error}")
