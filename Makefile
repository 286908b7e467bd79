# The README's two commands: `make serve` and `make test`. Both set up everything first (idempotent).
# The environment lives outside the checkout because the sandbox's unprivileged uid must be able to read it.
VENV ?= /opt/rnnlab/venv
PY := $(VENV)/bin/python
export RNNLAB_SANDBOX_PYTHON ?= $(PY)

.PHONY: setup serve test lint check-lessons bench bench-scaleout bench-backlog bench-mistakes

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

# 40 submissions from 20 learners at once: makespan vs the grading work, 1 and 2 concurrent jobs.
bench-backlog: setup
	$(PY) bench/backlog.py

# Submit -> first event / report for a syntax, shape, contract and function-lesson mistake.
bench-mistakes: setup
	$(PY) bench/mistakes.py

# 1 then 2 grading hosts on a throwaway PostgreSQL, a burst of submissions over HTTP (docs/deployment.md, Capacity).
bench-scaleout: setup
	$(PY) bench/scaleout.py
