"""What a soak found, and its summary table (Markdown, pasteable into an issue)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.soak.checks import CliResult
from bench.soak.settle import Settled
from bench.soak.faults import FaultRecord
from bench.soak.load import LoadStats
from bench.soak.schedule import FaultKind, PlannedFault
from bench.soak.webhooks import WebhookCounts


@dataclass
class SoakReport:
    minutes: float
    rate: float
    companies: int
    seed: int
    work: Path
    startup_s: float = 0.0
    load_s: float = 0.0
    settle_s: float = 0.0
    total_s: float = 0.0
    faults: list[FaultRecord] = field(default_factory=list)
    skipped_faults: list[PlannedFault] = field(default_factory=list)
    load: LoadStats | None = None
    top_ups: int = 0
    top_up_retries: int = 0
    settled: Settled | None = None
    paid: int = 0
    webhooks: WebhookCounts | None = None
    exit_codes: dict[str, int | None] = field(default_factory=dict)
    ledger: CliResult | None = None
    audit: CliResult | None = None
    audit_kafka: CliResult | None = None
    spool: list[str] | None = None
    log_errors: dict[str, int] = field(default_factory=dict)
    unexpected_exits: list[str] = field(default_factory=list)
    start_failures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        verifiers = (self.ledger, self.audit, self.audit_kafka)
        return (
            not self.problems
            and all(v is not None and v.ok for v in verifiers)
            and self.spool == []
            and not any(f.error for f in self.faults)
        )


def _faults(report: SoakReport) -> str:
    by_kind = Counter(f.planned.kind for f in report.faults)
    parts = [f"{by_kind[k]} {k.value}" for k in FaultKind if by_kind[k]]
    failed = sum(1 for f in report.faults if f.error)
    text = ", ".join(parts) or "none"
    if report.skipped_faults:
        text += f" ({len(report.skipped_faults)} skipped: no time left)"
    return text + (f"; {failed} FAILED to inject" if failed else "")


def summary_table(r: SoakReport) -> str:
    s = r.load or LoadStats()
    answers = s.answers
    transport = sum(n for k, n in answers.items() if not k.isdigit())
    settled = r.settled or Settled()
    statuses = Counter(settled.status.values())
    hooks = r.webhooks or WebhookCounts()
    hook_events = Counter(t for _, t in hooks.events)
    rows = [
        ("duration", f"{r.load_s / 60:.1f} min of load and faults (stack start {r.startup_s:.0f} s, "
                     f"settling {r.settle_s:.0f} s, total {r.total_s / 60:.1f} min); seed {r.seed}"),
        ("faults", _faults(r)),
        ("orders sent / accepted", f"{s.sent} keys at {r.rate:g}/s over {r.companies} companies / {len(s.accepted)} accepted"
                                   + (f", {s.dropped} not sent (too many waiting)" if s.dropped else "")),
        ("answers", f"201 {answers['201']}, 200 {answers['200']}, 202 {answers['202']}, 503 {answers['503']}, "
                    f"429 {answers['429']}, connection errors/timeouts {transport}, other {len(s.problems)}"),
        ("retries", f"{s.retries} order retries ({sum(1 for a in s.accepted.values() if a.attempts > 1)} keys retried), "
                    f"{r.top_up_retries} top-up retries; {r.top_ups} staff top-ups"),
        ("terminal statuses", (", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) or "none")
                              + (f"; {len(settled.unsettled)} NOT terminal" if settled.unsettled else "")
                              + f" ({settled.passes} settle passes)"),
        ("reviews", (", ".join(f"{k} {v}" for k, v in sorted(settled.reviews.items())) or "none")
         + f" ({settled.reviewed_during_load} during the load)"),
        ("provider payouts", f"{r.paid} executions in the sandbox for {statuses['completed']} completed orders"),
        ("webhooks received", f"{hooks.deliveries} deliveries, {hooks.refused} answered 500 by the fault, "
                              f"{len(hooks.accepted_ids)} distinct ids accepted ("
                              + ", ".join(f"{k} {v}" for k, v in sorted(hook_events.items()))
                              + f"), {hooks.redelivered_after_2xx} redelivered after a 2xx"),
        ("graceful stop", ", ".join(f"{k} exit {v}" for k, v in r.exit_codes.items()) or "not reached"),
        ("ledger verify --clickhouse", r.ledger.cell() if r.ledger else "not run"),
        ("audit verify (ClickHouse)", r.audit.cell() if r.audit else "not run"),
        ("audit verify --source kafka", r.audit_kafka.cell() if r.audit_kafka else "not run"),
        ("outbox spool", "not checked" if r.spool is None else "empty" if not r.spool else f"{len(r.spool)} files LEFT"),
        ("failed starts", "; ".join(r.start_failures) or "none"),
        ("error lines in logs (not aiokafka's)", ", ".join(f"{k} {v}" for k, v in r.log_errors.items() if v) or "none"),
        ("verdict", "CLEAN" if r.clean else f"FAILED ({len(r.problems)} problems)"),
    ]  # fmt: skip
    lines = ["| what | result |", "| --- | --- |"]
    lines += [f"| {what} | {value.replace('|', '/')} |" for what, value in rows]
    if r.faults:
        lines.append("\nfaults (seconds after the load started):")
        lines += [f"  {f.line()}" for f in r.faults]
    if r.problems:
        lines.append(f"\nproblems ({len(r.problems)}, the first 30):")
        lines += [f"  {p}" for p in r.problems[:30]]
    for name, result in (("ledger verify", r.ledger), ("audit verify", r.audit), ("audit verify kafka", r.audit_kafka)):
        if result is not None and not result.ok:
            lines.append(f"\n{name} said:\n{result.output[-3000:]}")
    return "\n".join(lines)
