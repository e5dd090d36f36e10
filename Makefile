# Two commands matter: `make report` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
YEAR   ?=
ENGINE ?= auto

.PHONY: install report check batch test lint format clean-build benchmark nbval-refs lock

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

## Build the default year's report (latest year with data) into _build/<year>/.
report: install
	$(BIN)/cae-report build $(if $(YEAR),--year $(YEAR)) --engine $(ENGINE)

## Validate and clean one year: make check YEAR=2016
check: install
	$(BIN)/cae-report check --year $(or $(YEAR),2016)

batch: install
	$(BIN)/cae-report batch --years 2013-2016 --jobs 2

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

benchmark: install
	$(BIN)/python benchmarks/bench_build.py

clean-build:
	rm -rf _build data/processed

## Re-execute the notebooks into the nbval reference copies (review the diff, then commit).
nbval-refs: install
	$(BIN)/python tests/nbval/regenerate.py

## Re-pin every package at the versions installed in .venv.
lock: install
	{ echo "# Exact versions of every package of the environment (pip constraints), so that a build"; \
	  echo "# next year gives the same result. Regenerate with: make lock"; \
	  $(BIN)/pip freeze --exclude-editable | grep -v '^cae-report'; } > requirements.lock
