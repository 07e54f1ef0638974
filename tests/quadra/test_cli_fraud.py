"""`quadra simulate → train → backtest` on a small history: the files have the right shape."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from typer.testing import CliRunner

from quadra.cli import app

RUNNER = CliRunner()


def run(*args: str) -> str:
    result = RUNNER.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_simulate_train_backtest(tmp_path: Path) -> None:
    history, model = tmp_path / "history.jsonl", tmp_path / "model"
    scores, metrics = tmp_path / "scores.jsonl", tmp_path / "metrics.json"
    run("simulate", "--profile", "payouts", "--out", str(history), "--customers", "200",
        "--terminals", "400", "--days", "45", "--seed", "3")  # fmt: skip
    lines = history.read_bytes().splitlines()
    run("train", "--input", str(history), "--from", "2018-04-08", "--to", "2018-04-30",
        "--model-out", str(model))  # fmt: skip
    manifest = json.loads((model / "manifest.json").read_text())
    assert manifest["training"]["from"] == "2018-04-08" and manifest["training"]["frauds"] > 0
    assert set(manifest["models"]) == {"supervised", "anomaly"}
    out = run("backtest", "--input", str(history), "--model", str(model), "--from", "2018-05-08",
              "--to", "2018-05-15", "--output", str(scores), "--metrics-out", str(metrics))  # fmt: skip
    assert "ROC AUC" in out

    scored = [orjson.loads(raw) for raw in scores.read_bytes().splitlines()]
    days = [orjson.loads(raw)["created_at"][:10] for raw in lines]
    in_period = [i for i, day in enumerate(days) if "2018-05-08" <= day <= "2018-05-15"]
    assert [s["line"] for s in scored] == in_period  # one line per scored input line, in order
    for s in scored:
        assert set(s) == {"line", "score", "decision", "reasons"}
        assert s["decision"] in {"approved", "in_review", "declined"}
        assert isinstance(s["score"], float) and isinstance(s["reasons"], list)
    m = json.loads(metrics.read_text())
    for kind in ("supervised", "anomaly"):
        assert {"roc_auc", "average_precision", "card_precision_at_100", "decisions"} <= set(m[kind])
        assert sum(m[kind]["decisions"].values()) == m[kind]["orders"]
    assert m["orders_scored"] == len(scored)


def test_backtest_refuses_a_missing_model(tmp_path: Path) -> None:
    history = tmp_path / "h.jsonl"
    history.write_text("")
    result = RUNNER.invoke(app, ["backtest", "--input", str(history), "--model", str(tmp_path),
                                 "--from", "2018-05-01", "--to", "2018-05-02", "--output",
                                 str(tmp_path / "s"), "--metrics-out", str(tmp_path / "m")])  # fmt: skip
    assert result.exit_code == 2 and "manifest" in result.output


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    history = tmp_path / "h.jsonl"
    history.write_text('{"created_at": "2018-05-01T00:00:00Z"}\n')
    result = RUNNER.invoke(app, ["train", "--input", str(history), "--from", "2018-05-01",
                                 "--to", "2018-05-02", "--model-out", str(tmp_path / "m")])  # fmt: skip
    assert result.exit_code == 2 and "h.jsonl:1" in result.output
