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
            s = out.setdefault(row["label"], {"rate": [], "p50": [], "p99": []})
            s["rate"].append(step["rate"])
            s["p50"].append(row["latency_ms"]["p50"])
            s["p99"].append(row["latency_ms"]["p99"])
    return out


def plot_docs(docs: list[tuple[str, dict[str, Any]]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharex=True)
    for name, doc in docs:
        for label, s in series(doc).items():
            tag = f"{label} ({name})" if len(docs) > 1 else label
            for ax, q in zip(axes, ("p50", "p99"), strict=True):
                ax.plot(s["rate"], s[q], marker="o", label=tag)
    for ax, q in zip(axes, ("p50", "p99"), strict=True):
        ax.set_xlabel("offered rate, orders (messages) per second")
        ax.set_ylabel(f"{q} latency, ms")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
        ax.set_title(f"{q} latency vs rate")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)


def plot_file(path: Path, png: Path) -> None:
    plot_docs([(path.stem, orjson.loads(path.read_bytes()))], png)


if __name__ == "__main__":  # python -m bench.pipeline.plot OUT.png RUN1.json [RUN2.json …]
    out = Path(sys.argv[1])
    plot_docs([(Path(p).stem, orjson.loads(Path(p).read_bytes())) for p in sys.argv[2:]], out)
