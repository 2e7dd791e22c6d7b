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

# Benchmarks (docs/benchmarks.md). First every app's own benchmark on a throw-away SQLite
# database (var/bench; `make bench DATABASE_URL=postgres://…bench…` runs them on PostgreSQL),
# printed as Markdown tables; then the load suite (core/loadbench.py: gunicorn + wrk at
# province scale) on SQLite under var/bench-scale and on PostgreSQL ($(BENCH_PG_URL)), each
# kept between runs (seed-scale's data is generated once), which writes its tables into
# docs/benchmarks.md. Options: BENCH_ARGS="--only core --quick" (the load suite only, small data,
# short runs, no doc), BENCH_ARGS="--only dashboard" (one app), BENCH_FRESH=1 (regenerate
# the province-scale data), BENCH_DBS="postgresql" (the load suite on one database). Last,
# on the PostgreSQL data, `guazhi explain`: the 10 slowest queries of the main pages with
# their EXPLAIN (ANALYZE, BUFFERS) plans (core/explain.py).
BENCH_PG_URL ?= postgres://postgres@127.0.0.1:5432/guazhi_bench_scale
BENCH_DBS ?= sqlite postgresql
bench: install
	@command -v wrk >/dev/null 2>&1 || { echo "安装 wrk（负载测试客户端）"; \
		apt-get install -y -qq wrk >/dev/null || { echo "需要 wrk：apt-get install wrk"; exit 1; }; }
	rm -rf var/bench
	GUAZHI_VAR_DIR=var/bench $(BIN)/guazhi bench --suite apps $(BENCH_ARGS)
	$(if $(filter sqlite,$(BENCH_DBS)),GUAZHI_VAR_DIR=var/bench-scale DATABASE_URL= \
		$(BIN)/guazhi bench --suite load $(if $(BENCH_FRESH),--fresh-data) $(BENCH_ARGS))
	$(if $(filter postgresql,$(BENCH_DBS)),GUAZHI_VAR_DIR=var/bench-scale DATABASE_URL=$(BENCH_PG_URL) \
		$(BIN)/guazhi bench --suite load $(if $(BENCH_FRESH),--fresh-data) $(BENCH_ARGS))
	$(if $(filter postgresql,$(BENCH_DBS)),GUAZHI_VAR_DIR=var/bench-scale DATABASE_URL=$(BENCH_PG_URL) \
		$(BIN)/guazhi explain)

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
