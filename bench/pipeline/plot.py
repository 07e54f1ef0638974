"""Latency vs rate from one or more `--json` files: one PNG, p50 and p99 per series (matplotlib)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

SERIES = (
    "pipeline POST→decided", "pipeline POST→completed", "pipeline POST→webhook",
    "http echo", "kafka passthrough",
)  # fmt: skip


def series(doc: dict[str, Any]) -> dict[str, dict[str, list[float]]]:
    """label → {"rate": [...], "p50": [...], "p99": [...]} in rate order."""
    out: dict[str, dict[str, list[float]]] = {}
    for step in sorted(doc["steps"], key=lambda s: s["rate"]):
        for row in step["rows"]:
            s = out.setdefault(row["label"], {"rate": [], "p50": [], "p99": [], "per_s": []})
            s["rate"].append(step["rate"])
            s["p50"].append(row["latency_ms"]["p50"])
            s["p99"].append(row["latency_ms"]["p99"])
            s["per_s"].append(row["per_s"])
    return out


def plot_docs(docs: list[tuple[str, dict[str, Any]]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8), sharex=True)
    colors = {label: f"C{n}" for n, label in enumerate(SERIES)}
    styles = ("-", "--", ":", "-.")
    for run, (name, doc) in enumerate(docs):
        for label, s in series(doc).items():
            tag = f"{label} ({name})" if len(docs) > 1 else label
            look = {"color": colors.get(label), "linestyle": styles[run % len(styles)], "marker": "o"}
            for ax, q in zip(axes, ("p50", "p99", "per_s"), strict=True):
                ax.plot(s["rate"], s[q], label=tag, **look)
    for ax, q in zip(axes[:2], ("p50", "p99"), strict=True):
        ax.set_ylabel(f"{q} latency, ms (answered ones only)")
        ax.set_yscale("log")
        ax.set_title(f"{q} latency vs offered rate")
    rates = sorted({r for _, d in docs for s in series(d).values() for r in s["rate"]})
    axes[2].plot(rates, rates, color="grey", linewidth=0.8, label="offered")
    axes[2].set_ylabel("answered (completed) per second")
    axes[2].set_title("throughput vs offered rate")
    for ax in axes:
        ax.set_xlabel("offered rate, orders (messages) per second")
        ax.grid(True, which="both", alpha=0.3)
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def plot_file(path: Path, png: Path) -> None:
    plot_docs([(path.stem, orjson.loads(path.read_bytes()))], png)


if __name__ == "__main__":  # python -m bench.pipeline.plot OUT.png RUN1.json [RUN2.json …]
    out = Path(sys.argv[1])
    plot_docs([(Path(p).stem, orjson.loads(Path(p).read_bytes())) for p in sys.argv[2:]], out)
