"""`python -m bench.reports_bench`: kept as the entry point; the bench lives in bench/reports/
(see its package docstring, or run with --help)."""

import sys

from bench.reports.cli import main

if __name__ == "__main__":
    sys.exit(main())
