"""`python -m bench.reports`: the same as `python -m bench.reports_bench`."""

import sys

from bench.reports.cli import main

sys.exit(main())
