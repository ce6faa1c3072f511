# Two commands do everything from a fresh clone:
#   make demo   install, build the demo warehouse, serve the dashboard on http://localhost:8501
#   make test   install, then run the whole test suite (browser test included)
# and, for the inner loop while you work:
#   make check  the unit and given-rows tests only: no browser, no Spark, no demo world
# Both are idempotent.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
WAREHOUSE ?= data/warehouse

.PHONY: demo test check install browser poppler warehouse app lint typecheck bench clean

demo: warehouse app

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

warehouse: install
	$(BIN)/iconic demo --warehouse $(WAREHOUSE)

app: install
	$(BIN)/iconic app --warehouse $(WAREHOUSE)

# Debian's Chromium for the browser test; never a downloaded browser build.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's poppler-utils: the brief's tests read the PDF back with pdftotext, pdftoppm and pdfimages.
poppler:
	@{ command -v pdftotext && command -v pdftoppm && command -v pdfimages; } >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }

# The suite in two parts: most of it on two workers, one per core (the Spark tests share one worker,
# and so one JVM), then the tests that time what they serve, alone. Both parts always run.
test: install browser poppler
	@status=0; \
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not serial" || status=$$?; \
	$(BIN)/python -m pytest -m serial || status=$$?; \
	exit $$status

check: install
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not e2e and not spark and not slow and not serial and not world"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy analytics

bench: install browser
	$(BIN)/python benchmarks/ingest_benchmark.py
	$(BIN)/python benchmarks/advocacy_benchmark.py
	$(BIN)/python benchmarks/pages_benchmark.py
	$(BIN)/python benchmarks/drivers_benchmark.py
	$(BIN)/python benchmarks/survival_benchmark.py
	$(BIN)/python benchmarks/benchmarks_benchmark.py
	$(BIN)/python benchmarks/impact_benchmark.py
	$(BIN)/python benchmarks/brief_benchmark.py --scale 1m
	$(BIN)/python benchmarks/engines_benchmark.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
