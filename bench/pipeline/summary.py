"""From the raw steps to the report's rows: throughput, latency, ratios, CPU/RSS, lag per rate."""

from __future__ import annotations

from typing import Any

from bench.pipeline.lag import LagSampler, lag_trend
from bench.pipeline.phases import Step
from bench.pipeline.procs import ProcSampler
from bench.pipeline.report import latency_ms, per_second, ratio, ratios


def _row(label: str, step: Step, done_times: list[float], latencies: list[float]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "label": label,
        "count": len(latencies),
        "sent_per_s": step.loop.achieved_rate,
        "per_s": per_second(done_times),
        "errors": sum(step.errors.values()),
        "latency_ms": latency_ms(latencies),
    }
    return row


def decided_row(step: Step) -> dict[str, Any]:
    return _row(
        "pipeline POST→decided", step, [s.answered for s in step.sends],
        [s.answered - s.sent for s in step.sends],
    )  # fmt: skip


def completed_row(step: Step) -> dict[str, Any]:
    sent = {s.order_id: s.sent for s in step.sends}
    done = [(at, at - sent[oid]) for oid, at in step.completed_at.items() if oid in sent]
    row = _row("pipeline POST→completed", step, [a for a, _ in done], [lat for _, lat in done])
    row["errors"] = len(step.sends) - len(done)  # decided but not seen completed (any reason)
    return row


def webhook_row(step: Step) -> dict[str, Any]:
    sent = {s.order_id: s.sent for s in step.sends}
    done = [(at, at - sent[oid]) for oid, at in step.webhook_at.items() if oid in sent]
    row = _row("pipeline POST→webhook", step, [a for a, _ in done], [lat for _, lat in done])
    row["errors"] = len(step.completed_at) - len(done)
    return row


def baseline_row(step: Step) -> dict[str, Any]:
    return _row(
        step.system, step, [s.answered for s in step.sends], [s.answered - s.sent for s in step.sends]
    )


def _with_ratio(row: dict[str, Any], base: dict[str, Any] | None) -> dict[str, Any]:
    if base is not None:
        row["ratio_to"] = base["label"]
        row["ratio"] = ratios(row["latency_ms"], base["latency_ms"])
        row["ratio"]["per_s"] = ratio(row["per_s"], base["per_s"])
    return row


def rate_block(
    rate: float, steps: dict[str, Step], procs: ProcSampler, lag: LagSampler | None
) -> dict[str, Any]:
    """Everything measured at one rate: one row per system and figure, with ratios."""
    echo = baseline_row(steps["http echo"]) if "http echo" in steps else None
    kafka = baseline_row(steps["kafka passthrough"]) if "kafka passthrough" in steps else None
    rows: list[dict[str, Any]] = []
    block: dict[str, Any] = {"rate": rate, "rows": rows}
    pipe = steps.get("pipeline")
    if pipe is not None:
        rows.append(_with_ratio(decided_row(pipe), echo))
        rows.append(_with_ratio(completed_row(pipe), kafka))
        if pipe.webhook_at:
            rows.append(webhook_row(pipe))
        t0, t1 = pipe.t0 - procs.started, pipe.t1 - procs.started
        block["processes"] = procs.summary(t0, t1)
        decided = max(1, len(pipe.sends))
        for proc in block["processes"].values():  # CPU per order: steadier than % on a busy machine
            proc["cpu_ms_per_order"] = proc["cpu_s"] * 1000 / decided
        block["load_1m"] = procs.load_between(t0, t1)
        block["statuses"] = dict(pipe.final_status)
        block["decided_statuses"] = _count(s.status for s in pipe.sends)
        block["errors"] = dict(pipe.errors)
        block["pipeline_loop"] = {
            "scheduled": pipe.loop.scheduled, "sent": pipe.loop.sent,
            "achieved_rate": pipe.loop.achieved_rate, "late": pipe.loop.late,
            "dropped": pipe.loop.dropped, "unfinished": pipe.loop.unfinished,
            "max_lateness_ms": pipe.loop.max_lateness_s * 1000,
        }  # fmt: skip
        if lag is not None:
            series = lag.series.between(pipe.t0 - lag.series.started, pipe.t1 - lag.series.started)
            block["lag"] = {
                group: {"max": max(v, default=0), "last": v[-1] if v else 0, "trend": lag_trend(v),
                        "samples": v}
                for group, v in sorted(series.items())
            }  # fmt: skip
    rows.extend(r for r in (echo, kafka) if r is not None)
    for name, step in steps.items():
        if name != "pipeline" and step.errors:
            block.setdefault("baseline_errors", {})[name] = dict(step.errors)
    return block


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out
