"""Mass payouts from a CSV file: upload it as one batch, wait for it, write the per-line report.

    python -m examples.mass_payouts.runner --csv payouts.csv --report report.csv [--wait 300]

Exit codes: 0 done; 1 some lines were rejected (unless --allow-rejected); 2 the file or the API
refused; 3 still processing after --wait (run again: the same file resumes the same batch)."""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from examples.mass_payouts.report import summary, write_report
from quadra_client import BatchWaitTimeoutError, Quadra, QuadraError

EXIT_OK, EXIT_REJECTED, EXIT_ERROR, EXIT_NOT_FINISHED = 0, 1, 2, 3


def batch_key(content: bytes) -> str:
    """The file's own idempotency key: running the same file again never pays twice, it finds
    the batch the first run made. (Digits become letters: the API refuses keys that hold a
    run of digits passing for a card number.)"""
    digest = hashlib.sha256(content).hexdigest()[:40]
    return "payouts-" + digest.translate(str.maketrans("0123456789", "ghijklmnop"))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m examples.mass_payouts.runner", description=__doc__.split("\n")[0])
    parser.add_argument("--csv", type=Path, required=True, help="payouts: external_id,product_id,amount,currency,"
                        "card_number,phone,email,end_user_id")  # fmt: skip
    parser.add_argument("--report", type=Path, required=True, help="where to write the per-line report")
    parser.add_argument("--wait", type=float, default=300.0, help="seconds to wait for the batch (default 300)")
    parser.add_argument("--allow-rejected", action="store_true", help="exit 0 even if some lines were rejected")
    return parser.parse_args(argv)


def run(quadra: Quadra, args: argparse.Namespace, out: TextIO) -> int:
    content = args.csv.read_bytes()
    batch = quadra.create_batch(csv=content, idempotency_key=batch_key(content))
    print(f"uploaded {args.csv} as batch {batch.id} ({batch.total_lines} lines); waiting up to {args.wait:g}s", file=out)
    finished = True
    try:
        batch = quadra.wait_for_batch(batch.id, timeout=args.wait)
    except BatchWaitTimeoutError as exc:
        batch, finished = exc.batch, False
    rows = write_report(args.report, quadra.iter_batch_lines(batch.id))
    print(summary(batch, args.report, rows), file=out)
    if not finished:
        print(f"not finished after {args.wait:g}s: run again with the same file to resume", file=out)
        return EXIT_NOT_FINISHED
    if batch.rejected_lines and not args.allow_rejected:
        print(f"{batch.rejected_lines} lines rejected: see the report", file=out)
        return EXIT_REJECTED
    return EXIT_OK


def main(argv: Sequence[str] | None = None, quadra: Quadra | None = None) -> int:
    """`quadra`: a client to use instead of one from QUADRA_API_URL / QUADRA_API_KEY."""
    args = parse_args(argv)
    try:
        with quadra or Quadra.from_env() as client:
            return run(client, args, sys.stdout)
    except QuadraError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except (OSError, ValueError) as exc:  # unreadable file, unwritable report, no API key
        print(f"error: {exc}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
