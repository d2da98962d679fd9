# Two commands: `make demo` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench clean

# The product and, beside it, two distributions of their own that are not part of it: the local
# GitHub it is tested against, and the local stack that the demo, e2e tests and benchmarks run.
$(STAMP): pyproject.toml packages/fakehub/pyproject.toml packages/porch-localstack/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e packages/fakehub -e packages/porch-localstack -e '.[dev]'
	touch $(STAMP)

# The plan analysis of the sample plan, then a whole run of it offline: embedded Redis, the
# local GitHub, the web app and two workers, with a scripted builder.
demo: $(STAMP)
	$(BIN)/porch-parallel plan examples/diamond.md
	$(BIN)/porch-parallel demo examples/diamond.md

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) lint typecheck
	$(BIN)/pytest -n auto

bench: $(STAMP)
	$(BIN)/python benchmarks/plan_scale.py
	$(BIN)/python benchmarks/pathological_plans.py
	$(BIN)/python benchmarks/webhook_intake.py
	$(BIN)/python benchmarks/diamond_makespan.py
	$(BIN)/python benchmarks/github_writes.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
