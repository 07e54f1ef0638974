"""What every `quadra` command shares: settings loading and user-facing failure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer
from pydantic import ValidationError

from quadra.settings import Settings

if TYPE_CHECKING:
    from analytics.clickhouse import ClickHouse


def fail(message: object) -> NoReturn:
    """A problem that is the user's to fix: say what it is, without a traceback."""
    typer.echo(f"quadra: {message}", err=True)
    raise typer.Exit(2)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        fail(f"invalid settings:\n{describe_settings_error(error)}")


def describe_settings_error(error: ValidationError) -> str:
    """One line per problem, naming the setting and the rule but never the value: pydantic's
    own text repeats the input, which would print secrets (keys, session secret) into logs."""
    return "\n".join(
        f"  {'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}"
        for e in error.errors(include_url=False, include_input=False, include_context=False)
    )


@contextmanager
def clickhouse_with(settings: Settings, table: str) -> Iterator[ClickHouse]:
    """ClickHouse for a command that reads `table`; fails with a hint when it cannot be read."""
    from analytics.clickhouse import ClickHouse  # only the commands that need it load it

    try:
        ch = ClickHouse.connect(settings.clickhouse_url, settings.clickhouse_database)
    except Exception as exc:  # the engine's own message says what is wrong (e.g. path in use)
        hint = " (is `quadra up` running? stop it first)" if settings.clickhouse_embedded else ""
        fail(f"cannot open ClickHouse{hint}: {exc}")
    try:
        tables = ch.query_sync(
            "SELECT count() FROM system.tables WHERE database = {db:String} AND name = {name:String}",
            {"db": ch.database, "name": table},
        )
        if tables[0][0] == 0:
            fail(f"no {table} table: run `quadra migrate` (or `quadra up`) first")
        yield ch
    finally:
        ch.close()
