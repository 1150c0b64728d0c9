# grove-edge: the two commands a new user needs are `make dev` and `make test`.
# Both install what they need first (a Python venv and the Node packages), so a fresh machine
# with Python 3.11, Node 20 and npm is enough.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp

.PHONY: install dev test test-local test-deploy bench lint clean

install: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## make dev: migrate, seed demo data and serve the whole platform on http://localhost:8787
dev: install
	$(BIN)/grove dev

## make test: every test lane
test: install lint test-local test-deploy

test-local:
	$(BIN)/pytest

# The Worker configs must stay deployable: wrangler's own dry run is the judge.
test-deploy:
	npx --no-install wrangler deploy --dry-run --outdir .wrangler/dry-run/main > .wrangler-dry-run.log 2>&1 \
	  || (cat .wrangler-dry-run.log; exit 1)
	npx --no-install wrangler deploy --dry-run --config workers/post_migrator/wrangler.toml \
	  --outdir .wrangler/dry-run/post_migrator >> .wrangler-dry-run.log 2>&1 \
	  || (cat .wrangler-dry-run.log; exit 1)
	@echo "wrangler dry runs: main and post_migrator configs accepted"

## make bench: the blog caching benchmark (about a minute on 2 cores); its last line is JSON
bench: install
	$(BIN)/python bench/blog_cache.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) node_modules .wrangler .pytest_cache .ruff_cache
