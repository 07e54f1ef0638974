# Quadra: `make run` starts everything on embedded defaults, `make test` runs the whole suite.
# Needs Python 3.11+, Java 17+ and Maven; everything else is installed here.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV_STAMP := .venv/.synced

.PHONY: setup run test test-fast audit bench kafka-stop clean help

help:
	@echo "make run    - set up and run quadra up (local Kafka, embedded ClickHouse, API on :8000)"
	@echo "make test   - set up and run the whole test suite (starts its own Kafka)"
	@echo "make bench  - the end-to-end slice benchmark against a raw aiokafka baseline"
	@echo "make audit  - known vulnerabilities in the locked dependencies (pip-audit; needs network)"

setup: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv>=0.13,<0.14"
	$(UV) sync --frozen
	-$(UV) run --frozen python -m dashboards.vendor  # offline: pages work, charts do not
	@touch $@

run: setup
	$(UV) run --frozen quadra up

test: setup
	$(UV) run --frozen pytest -q -ra

test-fast: setup
	$(UV) run --frozen pytest -q -m "not kafka"

# Known vulnerabilities in the locked dependencies (uv.lock, with hashes, so pip-audit resolves
# nothing itself). NEEDS NETWORK: pip-audit asks PyPI's JSON API for each pinned version, so it
# is a target of its own, not part of `make test`. --strict: a package it could not look up
# fails the audit (without it, an unreachable or partial index reports "No known
# vulnerabilities found" having checked nothing). CI runs it with QUADRA_CI_AUDIT=1 (.ci/run).
AUDIT_REQUIREMENTS := var/requirements-audit.txt

audit: setup
	@mkdir -p var
	$(UV) export --frozen --quiet --format requirements-txt --no-emit-project \
		--no-emit-package quadra-client -o $(AUDIT_REQUIREMENTS)
	$(UV) run --frozen pip-audit --strict --disable-pip --progress-spinner off -r $(AUDIT_REQUIREMENTS)

bench: setup
	$(UV) run --frozen python -m bench.slice_throughput

kafka-stop: setup
	$(UV) run --frozen quadra kafka stop

clean:
	rm -rf .venv .pytest_cache
