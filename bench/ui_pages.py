"""`python -m bench.ui_pages --dir D`: the back office's page times on the 10 M-order data (see
bench/ui/__init__.py, or run with --help)."""

import sys

from bench.ui.cli import main

if __name__ == "__main__":
    sys.exit(main())
