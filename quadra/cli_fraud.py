"""`quadra simulate | train | backtest`: fraud models on a JSONL file of order requests.

The work is done by detectors/ (the same feature code the stream runs); this module parses
options, reads settings and reports.
"""

from __future__ import annotations

import enum
import json
import time
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from detectors.offline.dataset import BadLine, Period
from quadra.cli_common import fail, load_settings

DAY = 86400


class ModelChoice(str, enum.Enum):
    supervised = "supervised"
    anomaly = "anomaly"


class Profile(str, enum.Enum):
    handbook = "handbook"
    payouts = "payouts"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"not a date (YYYY-MM-DD): {text!r}")


def simulate(
    profile: Profile = typer.Option(Profile.handbook, "--profile", help="handbook (Le Borgne et al., ch. 3) or payouts (+ payout frauds)."),
    out: Path = typer.Option(..., "--out", help="JSONL file to write (one order request per line, time order)."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same file."),
    customers: int = typer.Option(5000, "--customers", min=1, help="End users (the book's customers)."),
    terminals: int = typer.Option(10000, "--terminals", min=1, help="Recipient cards (the book's terminals)."),
    days: int = typer.Option(183, "--days", min=1),
    start: str = typer.Option("2018-04-01", "--start", help="First day (UTC)."),
) -> None:  # fmt: skip
    """Write a labelled history of order requests, as `quadra train` and `backtest` read it."""
    from detectors.simulate.handbook import HandbookConfig, simulate_handbook
    from detectors.simulate.jsonl import jsonl_lines
    from detectors.simulate.payouts import PayoutsConfig, simulate_payouts

    first = _day(start)
    config = HandbookConfig(
        customers=customers, terminals=terminals, days=days, seed=seed,
        start=datetime(first.year, first.month, first.day, tzinfo=UTC),
    )  # fmt: skip
    began = time.perf_counter()
    if profile is Profile.handbook:
        tx = simulate_handbook(config)
    else:
        tx = simulate_payouts(PayoutsConfig(base=config))
    with out.open("wb") as f:
        f.writelines(jsonl_lines(tx))
    frauds = int(tx.label.sum())
    typer.echo(
        f"{len(tx)} orders, {frauds} frauds ({frauds / max(len(tx), 1):.3%}) written to {out} "
        f"in {time.perf_counter() - began:.1f} s"
    )


def _token_key() -> bytes:
    """Cards in the file are keyed with the same secret as the stream's tokens."""
    return load_settings().card_token_key.get_secret_value().encode()


def _period(first: str, last: str) -> Period:
    try:
        return Period(_day(first), _day(last))
    except ValueError as e:
        fail(e)


def _input(path: Path) -> Path:
    if not path.is_file():
        fail(f"no such input file: {path}")
    return path


def train(
    input: Path = typer.Option(..., "--input", help="JSONL order requests in time order, with labels."),
    first: str = typer.Option(..., "--from", help="First training day (UTC), e.g. 2018-05-01."),
    last: str = typer.Option(..., "--to", help="Last training day (UTC), included."),
    model_out: Path = typer.Option(..., "--model-out", help="Directory for the model files and manifest."),
    label_delay_days: int = typer.Option(7, "--label-delay-days", min=0, help="Labels count in features only once this old."),
) -> None:  # fmt: skip
    """Train the supervised model and the anomaly model on one period of the file.

    Features are computed over the whole file from its first line in time order (earlier days
    warm the windows up), with the stream's feature code; labels feed the features only after
    the delay.
    """
    from detectors.offline.runs import train_run

    period = _period(first, last)
    began = time.perf_counter()
    try:
        report = train_run(_input(input), period, model_out, _token_key(), label_delay_days * DAY)
    except (BadLine, ValueError) as e:
        fail(e)
    t = report.manifest["training"]
    typer.echo(
        f"model {report.manifest['version']} written to {model_out}: {t['labelled']} labelled "
        f"orders ({t['frauds']} frauds) from {t['from']} to {t['to']}; features "
        f"{report.features.orders_read} orders at {report.features.orders_per_second:,.0f}/s; "
        f"{time.perf_counter() - began:.0f} s in all"
    )


def backtest(
    input: Path = typer.Option(..., "--input", help="JSONL order requests in time order."),
    model: Path = typer.Option(..., "--model", help="Directory written by `quadra train`."),
    first: str = typer.Option(..., "--from", help="First day to score (UTC)."),
    last: str = typer.Option(..., "--to", help="Last day to score (UTC), included."),
    output: Path = typer.Option(..., "--output", help="SCORES.jsonl: one line per scored order."),
    metrics_out: Path = typer.Option(..., "--metrics-out", help="METRICS.json."),
    scored_by: ModelChoice = typer.Option(ModelChoice.supervised, "--scored-by", help="Which model's scores and decisions go to --output."),
    known_from: str = typer.Option("", "--known-defrauded-from", help="First day whose frauds make an end user known as defrauded (left out of the metrics). Default: the model's first training day, as the handbook."),
) -> None:  # fmt: skip
    """Score a period with a trained model and measure it against the file's labels.

    Metrics (ROC AUC, average precision, card precision@100 end users per day, decision
    counts) are given for every model in the directory; as in the handbook, each test day
    leaves out the end users already known as defrauded (from the start of training up to
    the label delay before that day).
    """
    from detectors.models.model import ModelKind
    from detectors.models.store import ModelFileError, load_models
    from detectors.offline.runs import backtest_run

    period = _period(first, last)
    try:
        models = load_models(model)
    except ModelFileError as e:
        fail(e)
    try:
        report = backtest_run(
            _input(input), models, period, output, _token_key(), ModelKind(scored_by.value),
            _day(known_from) if known_from else None,
        )  # fmt: skip
    except (BadLine, ValueError) as e:
        fail(e)
    metrics_out.write_text(json.dumps(report.metrics, indent=2) + "\n")
    for kind in ("supervised", "anomaly"):
        m = report.metrics.get(kind)
        if m:
            typer.echo(
                f"{kind}: ROC AUC {_fmt(m['roc_auc'])}, AP {_fmt(m['average_precision'])}, "
                f"CP@100 {_fmt(m['card_precision_at_100'])} (best possible "
                f"{_fmt(m['card_precision_at_100_best_possible'])}), decisions {m['decisions']}"
            )
    typer.echo(
        f"{report.metrics['orders_scored']} orders scored "
        f"({report.metrics['orders_left_out_known_defrauded']} left out of the metrics as known "
        f"defrauded); scores in {output}, metrics in {metrics_out}"
    )


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
