# guazhi — the front door. `make demo` installs everything and serves the demo;
# `make test` runs the whole suite (SQLite, or PostgreSQL when DATABASE_URL is set).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install demo serve test test-pg lint fmt migrations-check security lock messages bench clean

install: $(STAMP) node_modules/.installed-stamp

$(STAMP): requirements-lock.txt pyproject.toml
	@command -v $(PY) >/dev/null || { echo "需要 Python 3.11（找不到 $(PY)）"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-lock.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

node_modules/.installed-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: install
	$(BIN)/guazhi demo

serve: install
	$(BIN)/guazhi serve

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The same suite on PostgreSQL (the local server, trust authentication).
test-pg: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/guazhi} $(BIN)/pytest $(PYTEST_ARGS)

# Benchmarks on a throw-away SQLite database (var/bench); figures go to docs/benchmarks.md.
# `make bench DATABASE_URL=postgres://…` measures on PostgreSQL.
bench: install
	rm -rf var/bench
	GUAZHI_VAR_DIR=var/bench $(BIN)/guazhi bench $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

# Security checks (any finding fails): the deployment check in production settings, the
# pip-audit and npm audit dependency audits, bandit (.ci/security says which and why).
security: install
	bash .ci/security

# Regenerate the lock file after changing pyproject.toml dependencies.
lock:
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev --strip-extras \
		-o requirements-lock.txt pyproject.toml

# Refresh the English catalogue after adding strings (msgids are the Chinese texts).
messages: install
	cd guazhi && ../$(BIN)/python ../manage.py makemessages -l en --no-obsolete \
		--ignore 'node_modules/*' && ../$(BIN)/python ../manage.py compilemessages -l en

clean:
	rm -rf $(VENV) node_modules var
