# Hintro: the one entry point, for developers and CI alike (docs/development.md).
#   make run    builds the web app when its sources changed, then MongoDB (embedded), Redis,
#               RabbitMQ and every service; prints the URL to open; Ctrl-C stops all of it
#   make test   the web app's unit tests (Vitest) and every pytest test (browser tests included),
#               against fresh test infrastructure
#   make lint   ruff, mypy, ESLint and tsc (web);  make fmt  rewrites the code the way lint wants it
#   make openapi  regenerates the committed OpenAPI and AsyncAPI documents
#   make bench  the benchmark of docs/performance.md (BENCH_ARGS='--quick', '--url ...'), then
#               make bench-web, the web app measured in Chromium (WEB_BENCH_ARGS)
#   make soak   30 minutes of mixed load at 70 % of capacity (SOAK_ARGS='--duration 180'); not CI
# Each target first runs `install`, so a fresh clone needs nothing but Python 3.11+ and make.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv from PATH, else the one pip installed (pip does not always put it on PATH).
UV = $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
# `install` has synced already; do not let `uv run` sync (or touch uv.lock) again.
RUN = $(UV) run --no-sync
# Every package's sources, including services added later.
SRC_DIRS = $(wildcard shared/src gateway/src services/*/src tools/src testsupport/src)
empty :=
space := $(empty) $(empty)

PYTEST_ARGS ?=
RUN_ARGS ?=
BENCH_ARGS ?=
SOAK_ARGS ?=
WEB_BENCH_ARGS ?=
# The whole web side (Chromium, npm ci, build, Vitest; failures fail the run) on a full `make
# test`; a targeted run (PYTEST_ARGS given) only rebuilds a stale web/dist, and a missing Node.js
# is a warning there. WEB_TESTS=1 or 0 chooses explicitly.
WEB_TESTS ?= $(if $(PYTEST_ARGS),0,1)

.PHONY: help install run test lint fmt bench bench-web soak openapi

help:
	@echo "make run    start everything (gateway on http://127.0.0.1:8080); Ctrl-C stops it"
	@echo "            RUN_ARGS='--replicas realtime=2 --only gateway,auth' to vary it"
	@echo "make test   Vitest and every pytest test on fresh test infrastructure (PYTEST_ARGS='-k ...')"
	@echo "make lint   ruff check, ruff format --check, mypy --strict, ESLint + tsc for web/"
	@echo "make fmt    ruff --fix and ruff format"
	@echo "make openapi  regenerate the committed OpenAPI and AsyncAPI documents from the code"
	@echo "make bench  start the suite, seed it, run the benchmark, print the table, write"
	@echo "            bench/results/*.json (BENCH_ARGS='--quick' or '--duration 30 ...'), then bench-web"
	@echo "make bench-web  the web app in Chromium: first-load JS, Lighthouse, a 5,000-card board"
	@echo "            (WEB_BENCH_ARGS='--runs 5 --presets desktop' or '--url http://127.0.0.1:8080')"
	@echo "make soak   30 min of mixed load at 70 % of capacity, sockets connected; RSS, p99 per"
	@echo "            minute, queues, DLQs (SOAK_ARGS='--duration 180 --warmup 30')"
	@echo "make install  uv (with pip when missing) and the locked environment in .venv"

install:
	@if ! command -v uv >/dev/null 2>&1 && ! $(PYTHON) -m uv --version >/dev/null 2>&1; then \
		echo "uv is missing: installing it with pip"; \
		$(PYTHON) -m pip install --quiet uv \
		|| $(PYTHON) -m pip install --quiet --break-system-packages uv \
		|| { echo "error: could not install uv with pip. Install it" \
			"(https://docs.astral.sh/uv/getting-started/installation/) and rerun." >&2; exit 1; }; \
	fi
	$(UV) sync --frozen

# The web build is optional here: without Node.js (or when it fails) the API still starts.
run: install
	@$(RUN) python -m hintro_devtools web build --optional
	$(RUN) python -m hintro_devtools run $(RUN_ARGS)

# `infra exec` starts the test MongoDB (nx-27017 on 27117, fresh data), checks or starts Redis and
# RabbitMQ, exports MONGO_URL/RABBITMQ_URL/REDIS_URL to pytest, always stops the MongoDB it
# started, and exits with pytest's exit code.
# Web steps first (hintro_devtools.web; no-ops when web/ does not exist), then pytest either way
# so one run reports both; the exit code is the web steps' failure, else pytest's.
test: install
	@web_status=0; \
	if [ "$(WEB_TESTS)" = 1 ]; then \
		$(RUN) python -m hintro_devtools web chromium \
		&& $(RUN) python -m hintro_devtools web test || web_status=$$?; \
	else \
		$(RUN) python -m hintro_devtools web build --optional || web_status=$$?; \
	fi; \
	test_status=0; \
	$(RUN) python -m hintro_devtools infra exec --for test -- python -m pytest $(PYTEST_ARGS) \
		|| test_status=$$?; \
	if [ "$$web_status" -ne 0 ]; then echo "make test: the web steps failed (above)"; fi; \
	if [ "$$web_status" -ne 0 ]; then exit "$$web_status"; fi; \
	exit "$$test_status"

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	MYPYPATH=$(subst $(space),:,$(SRC_DIRS)) $(RUN) mypy $(SRC_DIRS)
	$(RUN) python -m hintro_devtools web lint

fmt: install
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

# gateway/src/hintro_gateway/openapi.json (served by the gateway as a file) and docs/asyncapi.json;
# tests fail while either is stale.
openapi: install
	$(RUN) python -m hintro_devtools openapi

# wrk (C) drives the plain authenticated GETs so the client takes less of the two cores; it is
# installed with apt-get when missing and possible, else the asyncio generator is used instead.
bench: install
	@if ! command -v wrk >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 \
		&& [ "$$(id -u)" = 0 ]; then \
		echo "wrk is missing: installing it with apt-get (the asyncio generator is the fallback)"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 \
		|| { apt-get update -qq >/dev/null 2>&1 \
			&& DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; } \
		|| echo "could not install wrk: using the asyncio load generator"; \
	fi
	$(RUN) python -m bench $(BENCH_ARGS)
	@$(MAKE) --no-print-directory bench-web

# The web app in Debian's Chromium (bench/webapp.py): first-load JS, Lighthouse on a 500-card
# board, a 5,000-card board on screen and answering a click. Chromium and the app are set up as
# for `make test`; a checkout without web/ says so and measures nothing.
bench-web: install
	@$(RUN) python -m hintro_devtools web chromium
	$(RUN) python -m bench.webapp $(WEB_BENCH_ARGS)

# Not part of CI: the figures of docs/performance.md, "Soak". Exits 1 on any 5xx or DLQ message.
soak: install
	$(RUN) python -m bench.soak $(SOAK_ARGS)
