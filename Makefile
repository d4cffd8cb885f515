# Trestle: `make run` builds and serves samples/trestle.yaml; `make test` runs the whole suite.
SHELL := /bin/bash
CONFIG ?= samples/trestle.yaml
# make run DB=postgres: the same config served on a PostgreSQL cluster kept under .trestle/postgres.
DB ?= sqlite
SWIFT_BUILD_FLAGS ?=
# Seconds of libFuzzer per target: `make fuzz` (after replaying Fuzz/Corpus and Fuzz/Regressions), and make test's smoke.
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5

.PHONY: all deps build release run test fuzz bench clean

all: build

deps:
	@scripts/ensure-deps.sh

build: deps
	swift build $(SWIFT_BUILD_FLAGS)

release: deps
	swift build -c release $(SWIFT_BUILD_FLAGS)

run: release
	@. scripts/dev-secrets.sh && case "$(DB)" in \
	  sqlite) exec .build/release/trestle serve --config $(CONFIG) ;; \
	  postgres) TRESTLE_POSTGRES_DIR=.trestle/postgres scripts/with-postgres.sh .build/release/trestle serve --config $(CONFIG) --storage postgres ;; \
	  *) echo "DB=$(DB): use DB=sqlite (the default) or DB=postgres" >&2; exit 2 ;; \
	esac

test: deps
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	# One test at a time: Foundation's Process.run crashed (signal 11) when fixture launches overlapped the server's jobs.
	# Beside a throwaway PostgreSQL cluster, for the store contract's PostgreSQL cases (never skipped).
	scripts/with-postgres.sh swift test --skip-build --no-parallel $(SWIFT_BUILD_FLAGS)
	# Every operation of /openapi.yaml against a live server: documented answers only, no 5xx.
	scripts/schemathesis.sh
	# A cluster on loopback (2 API nodes, 3 workers, one PostgreSQL), a worker and an API node SIGKILLed mid-run.
	scripts/with-postgres.sh python3 scripts/chaos.py
	# The web dashboard in headless Chromium (Playwright): sign in, live log, cancel, pipeline, a delivery, sign out.
	scripts/browser-test.sh
	# Every fuzz target (Fuzz/) replays its corpus and regressions, then fuzzes briefly: any crash fails.
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) scripts/fuzz.sh

fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

bench:
	@scripts/ensure-deps.sh bench
	swift build -c release $(SWIFT_BUILD_FLAGS)
	scripts/bench.sh
	BENCH_DB=postgres scripts/bench.sh
	scripts/bench-git.sh
	scripts/bench-executor.sh
	scripts/with-postgres.sh python3 scripts/bench-cluster.py

clean:
	rm -rf .build .build-fuzz .bench .bench-git .bench-exec
