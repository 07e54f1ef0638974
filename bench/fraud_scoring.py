"""Orders/s of fraud scoring in batch on one core: features, then the model, on a JSONL file.

    nice -n 10 .venv/bin/python -m bench.fraud_scoring --input var/fraud/handbook.jsonl \
        --model var/fraud/runs/m3 [--limit 300000] [--batch 1000]

Parsing the file is timed apart (the stream receives orders already parsed); features are
computed with the stream's `FeatureState.update_and_compute` per micro-batch, then scored with
`Scorer.score` (risk, decisions, reasons for the flagged orders), one OpenMP thread.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import time
from pathlib import Path

from detectors.features.state import FeatureState
from detectors.models.model import ModelKind
from detectors.models.scorer import Scorer
from detectors.models.store import load_models
from detectors.offline.dataset import read_facts
from threadpoolctl import threadpool_limits


def main() -> None:
    threadpool_limits(1)  # one OpenMP thread for the whole run, as a stream worker has
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()

    began = time.perf_counter()
    facts = [f for _, f in itertools.islice(read_facts(args.input, b"bench-key"), args.limit)]
    parsing = time.perf_counter() - began
    models = load_models(args.model)
    scorers = {kind: Scorer(model) for kind, model in models.models.items()}
    state = FeatureState(models.label_delay)
    # The state holds millions of small lists and no cycles: as the offline commands do, the
    # cyclic collector is paused (a worker would gc.freeze() after warm-up and raise thresholds).
    gc.disable()
    spent = {"features": 0.0, **{kind.value: 0.0 for kind in scorers}}
    for i in range(0, len(facts), args.batch):
        batch = facts[i : i + args.batch]
        t0 = time.process_time()
        matrix = state.update_and_compute(batch)
        spent["features"] += time.process_time() - t0
        for kind, scorer in scorers.items():
            t0 = time.process_time()
            scorer.score(matrix)
            spent[kind.value] += time.process_time() - t0
    n = len(facts)
    print(f"{n} orders, batches of {args.batch}; CPU time per stage (one thread)")
    print(f"  parse JSONL      {n / parsing:10,.0f} orders/s")
    for stage, seconds in spent.items():
        print(f"  {stage:16s} {n / seconds:10,.0f} orders/s  ({seconds / n * 1e6:.1f} µs/order)")
    for kind in scorers:
        total = spent["features"] + spent[kind.value]
        print(f"  features+{kind.value:8s}{n / total:10,.0f} orders/s")
    if ModelKind.SUPERVISED not in scorers:
        print("  (no supervised model in the directory)")


if __name__ == "__main__":
    main()
