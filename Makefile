# ScaleFold in TypeScript. The two commands of the README:
#   make pretrain   run the main job on the embedded default dataset
#   make test       run every test suite
# Every target installs what it needs (npm ci, kalign, the native core).

SHELL := /bin/bash
NODE_DEPS := node_modules/.package-lock.json
TEST_FILES := $(shell find test -name '*.test.ts' -not -path 'test/fixtures/*' | sort)
SCALEFOLD := node --import tsx trainer/cli.ts

.PHONY: all setup install kalign typecheck test pretrain bench clean

all: test

install: $(NODE_DEPS)

$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# kalign realigns template hits (Debian package 'kalign').
kalign:
	@command -v kalign >/dev/null 2>&1 || { \
	  echo "installing kalign (Debian package)" >&2; \
	  (apt-get update -qq && apt-get install -y -qq kalign) >&2 || \
	  { echo "could not install kalign: run 'apt-get install kalign' as root" >&2; exit 1; }; }

setup: install kalign

typecheck: install
	npx tsc --noEmit -p .

test: setup typecheck
	node --import tsx test/run_suites.ts $(TEST_FILES)

pretrain: setup
	$(SCALEFOLD) pretrain

# Benchmarks print figures (medians, ratios); they assert nothing.
BENCH_FILES := $(shell find test/bench -name '*.bench.ts' 2>/dev/null | sort)
bench: setup
	@for f in $(BENCH_FILES); do echo "== $$f" >&2; node --import tsx $$f || exit 1; done

clean:
	rm -rf build dist .device runs
