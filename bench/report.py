"""What a run tells: machine facts, slice/baseline ratios, the printed report, the JSON file."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

from bench.broker import Broker
from bench.stats import STALL_S, PhaseResult, timeline


def machine_facts() -> dict[str, Any]:
    facts: dict[str, Any] = {
        "nproc": (
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        ),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu_model"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                facts["mem_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    with contextlib.suppress(OSError):
        facts["loadavg_at_start"] = Path("/proc/loadavg").read_text().split()[:3]
    versions = {}
    for dist in ("aiokafka", "faust-streaming", "httpx", "uvicorn", "fastapi", "chdb"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    facts["packages"] = versions
    return facts


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:,.{digits}f}"  # NaN → "-"


def _ratio(a: float, b: float) -> float:
    return a / b if b and a == a and b == b else float("nan")


def _print_setting(args: argparse.Namespace, machine: dict[str, Any], broker: Broker) -> None:
    print(
        f"machine:    nproc {machine['nproc']} (cpu_count {machine['cpu_count']}), "
        f"{machine.get('cpu_model', '?')}, {machine.get('mem_gib', '?')} GiB, "
        f"load {' '.join(machine.get('loadavg_at_start', []))}"
    )
    print(f"python:     {machine['implementation']} {machine['python']} on {machine['platform']}")
    print(f"packages:   {', '.join(f'{k} {v}' for k, v in machine['packages'].items())}")
    print(
        f"broker:     {broker.bootstrap} "
        f"({'started by this run' if broker.started_by_us else 'already running'})"
    )
    print(
        f"parameters: orders {args.orders}, concurrency {args.concurrency}, warm-up {args.warmup} "
        f"(baseline {args.baseline_warmup}), client {args.client}, message "
        f"{args.message_bytes} B, baseline "
        f"{args.baseline_mode}, op timeout {args.op_timeout:g} s, phase timeout "
        f"{args.phase_timeout:g} s"
    )


def _print_figures(phases: list[PhaseResult], found: dict[str, float]) -> None:
    header = f"{'':<10} {'ok':>6} {'errors':>7} {'per s':>9}" + "".join(
        f" {c:>9}" for c in ("p50 ms", "p95 ms", "p99 ms", "max ms")
    )
    print(header)
    print("-" * len(header))
    for phase in phases:
        lat = phase.latency_ms()
        errs = sum(phase.errors.values()) + phase.not_sent
        print(
            f"{phase.name:<10} {phase.ok:>6} {errs:>7} {_fmt(phase.rate):>9}"
            + "".join(f" {_fmt(lat[q], 2):>9}" for q in ("p50", "p95", "p99", "max"))
        )
    if found:
        print("-" * len(header))
        print(
            f"{'ratio':<10} {'':>6} {'':>7} {_fmt(found['throughput_slice_over_baseline'], 3):>9} "
            f"{_fmt(found['p50_slice_over_baseline'], 2):>9} "
            f"{_fmt(found['p95_slice_over_baseline'], 2):>9} "
            f"{_fmt(found['p99_slice_over_baseline'], 2):>9}"
        )
        print(
            "ratio = slice / baseline: throughput below 1 means the slice moves fewer per second; "
            "latency above 1 means the slice is slower."
        )


def _print_phase(phase: PhaseResult, nproc: int) -> None:
    print(f"{phase.name}: {phase.pattern}; {phase.ok}/{phase.attempted} ok in {phase.wall_s:.2f} s")
    for who, seconds in phase.cpu_s.items():
        share = seconds / phase.wall_s * 100 if phase.wall_s else 0
        per = seconds / phase.ok * 1000 if phase.ok else float("nan")
        print(f"  cpu {who}: {seconds:.2f} s ({share:.0f}% of one core, {_fmt(per, 2)} ms per op)")
    if phase.machine_busy_cores is not None:
        print(
            f"  whole machine busy: {phase.machine_busy_cores:.2f} of {nproc} cores "
            "(broker and anything else running included)"
        )
    tl = timeline(phase.completions)
    if tl:
        rates = (
            f"; completions per second min {tl['per_second_min']:.0f} / median "
            f"{tl['per_second_median']:.0f} / max {tl['per_second_max']:.0f}"
            if "per_second_min" in tl else ""
        )  # fmt: skip
        print(f"  longest time without a completion {tl['longest_gap_ms']:.0f} ms{rates}")
        if tl["stalls"]:
            where = ", ".join(
                f"{tl[f'stall{n}_ms']:.0f} ms at {tl[f'stall{n}_at_s']:.1f} s"
                for n in range(1, 4) if f"stall{n}_ms" in tl
            )  # fmt: skip
            print(
                f"  stalls (>= {STALL_S * 1000:.0f} ms without a completion): "
                f"{tl['stalls']:.0f}, "
                f"{tl['stall_s']:.2f} s in all; {where} into the phase"
            )
    if phase.not_sent:
        print(f"  not sent before the phase deadline: {phase.not_sent}")
    for kind, count in phase.errors.most_common(8):
        print(f"  error x{count}: {kind}")
    for note in phase.notes:
        print(f"  {note}")


@dataclass
class RunReport:
    """Everything one run found, for the printed report and the JSON file."""

    args: argparse.Namespace
    machine: dict[str, Any]
    broker: Broker
    phases: list[PhaseResult]
    slice_facts: dict[str, Any]
    problems: list[str]
    cleanup: str

    def phase(self, name: str) -> PhaseResult | None:
        return next((p for p in self.phases if p.name == name), None)

    def ratios(self) -> dict[str, float]:
        slice_, base = self.phase("slice"), self.phase("baseline")
        if slice_ is None or base is None:
            return {}
        s, b = slice_.latency_ms(), base.latency_ms()
        return {
            "throughput_slice_over_baseline": _ratio(slice_.rate, base.rate),
            "p50_slice_over_baseline": _ratio(s["p50"], b["p50"]),
            "p95_slice_over_baseline": _ratio(s["p95"], b["p95"]),
            "p99_slice_over_baseline": _ratio(s["p99"], b["p99"]),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "parameters": {k: v for k, v in vars(self.args).items() if k != "json"},
            "machine": self.machine,
            "broker": {
                "bootstrap": self.broker.bootstrap,
                "started_by_bench": self.broker.started_by_us,
            },
            "phases": {p.name: p.as_json() for p in self.phases},
            "ratios": {k: round(v, 4) for k, v in self.ratios().items()},
            "slice_process": self.slice_facts,
            "cleanup": self.cleanup,
            "problems": self.problems,
        }


def print_report(run: RunReport) -> None:
    print("")
    print("Quadra slice throughput")
    print("=======================")
    _print_setting(run.args, run.machine, run.broker)
    print("")
    _print_figures(run.phases, run.ratios())
    print("")
    for phase in run.phases:
        _print_phase(phase, run.machine["nproc"])
    if run.slice_facts:
        print(
            "slice process: "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in run.slice_facts.items())
        )
    if run.cleanup:
        print(f"cleanup: {run.cleanup}")
    if run.problems:
        print("")
        print("problems seen:")
        for line in run.problems:
            print(f"  {line}")
    print("")


def write_json(run: RunReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(run.as_json(), option=orjson.OPT_INDENT_2))
