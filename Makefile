# The README's two commands: `make serve` and `make test`. Both set up everything first (idempotent).
# The environment lives outside the checkout because the sandbox's unprivileged uid must be able to read it.
VENV ?= /opt/rnnlab/venv
PY := $(VENV)/bin/python
export RNNLAB_SANDBOX_PYTHON ?= $(PY)

.PHONY: setup serve test lint check-lessons bench bench-scaleout

setup:
	bash scripts/setup.sh "$(VENV)"

serve: setup
	$(VENV)/bin/rnnlab serve

test: setup
	$(VENV)/bin/ruff check app graders tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(VENV)/bin/rnnlab lessons check
	$(VENV)/bin/pytest

bench: setup
	$(PY) bench/grading_latency.py

# 1 then 2 grading hosts on a throwaway PostgreSQL, a burst of submissions over HTTP (docs/deployment.md, Capacity).
bench-scaleout: setup
	$(PY) bench/scaleout.py
