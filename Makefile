# Two commands matter: `make report` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
YEAR   ?=
ENGINE ?= auto

## GIT_FILTER=no: leave the repository's Git configuration alone.
GIT_FILTER ?= yes
KERNEL     := cae-report
KERNEL_SPEC = --name $(KERNEL) --display-name "Python (cae-report)"

.PHONY: install system-deps report check batch test lint format clean-build benchmark nbval-refs \
	lock lab git-filter kernel

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(MAKE) --no-print-directory kernel
	@if [ "$(GIT_FILTER)" = yes ]; then $(MAKE) --no-print-directory git-filter; fi
	touch $(STAMP)

## The same kernel in this environment too: inside it (Quarto, JupyterLab and the tests run this
## environment's Python) it comes before the user's one, which may be another checkout's.
ENV_KERNEL := $(VENV)/share/jupyter/kernels/$(KERNEL)/kernel.json
$(ENV_KERNEL): $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix $(KERNEL_SPEC) >/dev/null

## The package's bytecode, compiled ahead (only what changed): where PYTHONDONTWRITEBYTECODE is
## set, as on some CI machines, every process would otherwise compile the modules it imports
## again (a build starts several, the tests hundreds). An error is shown, never fatal here.
install: $(STAMP) $(ENV_KERNEL)
	-@$(BIN)/python -m compileall -q src

## The kernel « Python (cae-report) » for every Jupyter of this user (JupyterLab, VS Code, a
## system Jupyter): a user-level kernelspec that runs this environment's Python. The build
## does not use it (it runs its own Python); `python3` stays the environment's own kernel.
kernel:
	$(BIN)/python -m ipykernel install --user $(KERNEL_SPEC) >/dev/null
	@echo "kernel: « Python (cae-report) » installed for this user ($(abspath $(BIN))/python)"

## nbstripout as Git's filter for notebooks (.gitattributes): outputs and execution counts never
## reach a commit, and `git diff` shows notebooks without them. Cell ids are kept. Nor does what
## Jupyter writes of the machine (the Python version, its editor modes): a notebook run and
## saved unchanged stays unchanged (the notebooks ask for the « Python (cae-report) » kernel,
## so its name and display name are what Jupyter saves).
NB_MACHINE_KEYS = $(foreach k,version codemirror_mode file_extension mimetype nbconvert_exporter \
  pygments_lexer,metadata.language_info.$(k))
## Through the package (src/cae_report/git_filter.py): 0.4 s a notebook instead of 2.3 s.
NBSTRIPOUT = '$(abspath $(BIN))/python' -m cae_report.git_filter --keep-id \
  --extra-keys '$(NB_MACHINE_KEYS)'
## A linked worktree shares its configuration with the main one: nothing is set there.
git-filter:
	@if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  echo "git-filter: not a Git work tree, nothing to set up"; \
	elif [ "$$(git rev-parse --absolute-git-dir)" != "$$(cd "$$(git rev-parse --git-common-dir)" && pwd)" ]; then \
	  echo "git-filter: a linked worktree shares the Git configuration of the main one:" \
	    "run 'make git-filter' there"; \
	else \
	  git config filter.nbstripout.clean "$(NBSTRIPOUT)" && \
	  git config filter.nbstripout.smudge cat && \
	  git config filter.nbstripout.required true && \
	  git config diff.ipynb.textconv "$(NBSTRIPOUT) -t" && \
	  echo "git: notebooks are committed without their outputs (nbstripout filter)"; \
	fi

## JupyterLab on the notebooks, with this environment (the analyst's workbench; README).
## LAB_ARGS: more options for JupyterLab (e.g. LAB_ARGS="--no-browser --port 8899").
lab: install
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

## What the browser and PDF tests need outside Python (tests/test_browser.py,
## tests/test_accessibility.py): Debian's chromium (driven by playwright, which never downloads
## a browser), pdfinfo (poppler-utils) and npm. Installs only what is missing, so it is quick
## when everything is there; not root: says what is missing and goes on (those tests skip).
CHROMIUM := /usr/bin/chromium
AXE      := node_modules/axe-core/axe.min.js

system-deps:
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	command -v pdfinfo >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -z "$$missing" ]; then \
	  exit 0; \
	elif [ "$$(id -u)" != 0 ]; then \
	  echo "system-deps: not root, not installing:$$missing (apt-get install -y$$missing);" \
	    "the tests that need them will skip"; \
	else \
	  echo "system-deps: apt-get install$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

## axe-core (accessibility rules run in the browser) at the version of package-lock.json.
$(AXE): package.json package-lock.json | system-deps
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
	  echo "npm not found: axe-core not installed; the accessibility test will skip"; \
	fi

## Build the default year's report (latest year with data) into _build/<year>/.
report: install
	$(BIN)/cae-report build $(if $(YEAR),--year $(YEAR)) --engine $(ENGINE)

## Validate and clean one year (default: the latest year with data): make check YEAR=2016
check: install
	$(BIN)/cae-report check $(if $(YEAR),--year $(YEAR))

## Rebuild every year with data (or YEARS=2015-2016), two at a time.
YEARS ?=
batch: install
	$(BIN)/cae-report batch $(if $(YEARS),--years $(YEARS)) --jobs 2

test: install system-deps $(AXE)
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
