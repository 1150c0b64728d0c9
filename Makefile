# grove-edge: the two commands a new user needs are `make dev` and `make test`.
# Both install what they need first (a Python venv and the Node packages), so a fresh machine
# with Python 3.11, Node 20 and npm is enough.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp

.PHONY: install dev test test-local test-pyodide bench load lint clean browser vendor deploy

install: $(PY_STAMP) $(NODE_STAMP)

# uv installs the project: the root pyproject names the durable_objects/ path package with
# ${PROJECT_ROOT}, which uv expands and pip cannot. Its pin is read from pyproject.toml (one place).
UV_PIN := $(shell grep -o '"uv==[^"]*"' pyproject.toml | tr -d '"')

$(PY_STAMP): pyproject.toml durable_objects/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check $(UV_PIN)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	# The DO package editable in the dev venv, so the CPython lane runs the folder as edited.
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e ./durable_objects
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## make dev: migrate, seed demo data and serve the whole platform on http://localhost:8787
dev: install
	$(BIN)/grove dev

## make test: every test lane
test: install lint browser test-local test-pyodide

test-local:
	$(BIN)/pytest

## make browser: Debian's chromium for the editor's browser tests (Playwright drives it with an
## explicit path and never downloads a browser); installs only when missing. CI runs as root.
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
browser:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
	@# An emoji font: Debian's chromium brings none, so the reaction bar's emoji are boxes in
	@# screenshots. Cosmetic, so never a failure: only where apt-get exists, only when missing,
	@# and a refused install (no root, offline) is a warning.
	@test -e $(EMOJI_FONT) || ! command -v apt-get >/dev/null \
	  || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-noto-color-emoji \
	  || echo "make browser: fonts-noto-color-emoji not installed; emoji show as boxes in screenshots"

## make test-pyodide: the app under real Pyodide 314 + Cloudflare's Python SDK + miniflare's
## D1/KV/R2 (the first run downloads ~63 MB, pinned and hash-checked, into .cache/pyodide-lane/)
test-pyodide: install vendor
	$(BIN)/python pyodide_lane/run.py

## make vendor: python_modules/ as `pywrangler deploy` vendors it (the pinned Pyodide wheels of
## [project].dependencies + the SDK, and the durable_objects/ path package), built offline from
## the Pyodide lane's hash-checked wheels; copied beside each workers/*/wrangler.toml
vendor: install
	$(BIN)/python pyodide_lane/vendor.py

## make deploy: production. pywrangler resolves and vendors python_modules/ itself (needs
## Cloudflare credentials and Pyodide's package index), then each Worker is deployed.
deploy: install
	$(BIN)/pywrangler sync
	$(BIN)/python pyodide_lane/vendor.py --copy-only
	$(BIN)/pywrangler deploy
	cd workers/post_migrator && ../../$(BIN)/pywrangler deploy

## make bench: every benchmark (a few minutes on 2 cores); each one's last line is JSON
bench: install
	$(BIN)/python bench/blog_cache.py
	$(BIN)/python bench/scaling.py
	$(BIN)/python bench/reader_blog.py
	$(BIN)/python bench/tenant_do.py
	$(BIN)/python bench/post_meta.py
	$(BIN)/python bench/versions.py
	$(BIN)/python bench/meadow.py
	$(BIN)/python bench/tier_migrator.py
	$(BIN)/python bench/pyodide_import.py
	$(BIN)/python bench/http_load.py
	mkdir -p .cache/bench
	$(BIN)/python bench/pyodide_requests.py > .cache/bench/pyodide_requests.out
	cat .cache/bench/pyodide_requests.out && mv .cache/bench/pyodide_requests.out .cache/bench/pyodide_requests.json
	# The cost report prices Worker/DO CPU from the Pyodide timings just written.
	$(BIN)/grove cost

## make load: 50 Locust users for 120 s against `grove dev` on 127.0.0.1 (rate limits raised
## through vars), then every acknowledged write read back; the last line is JSON. A 20 s run of
## it is in `make test` (tests/app/test_load_smoke.py).
load: install
	$(BIN)/python bench/load.py --users 50 --seconds 120

## make lint: ruff, then pyright (strict on src/ and durable_objects/; [tool.pyright] in
## pyproject.toml says what it sees). Both must be clean.
lint: install
	$(BIN)/ruff check .
	node_modules/.bin/pyright

clean:
	rm -rf $(VENV) node_modules .wrangler .pytest_cache .ruff_cache python_modules workers/*/python_modules
