# ScaleFold in TypeScript. The two commands of the README:
#   make pretrain   run the main job on the embedded default dataset
#   make test       run every test suite
# Every target installs what it needs (npm ci, kalign, the native core).

SHELL := /bin/bash
NODE_DEPS := node_modules/.package-lock.json
TEST_FILES := $(shell find test -name '*.test.ts' -not -path 'test/fixtures/*' | sort)
SCALEFOLD := node --import tsx trainer/cli.ts

.PHONY: all setup install kalign typecheck test pretrain bench clean native device-bundle test-gpu bench-gpu

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

test: setup native typecheck
	node --import tsx test/run_suites.ts $(TEST_FILES)

pretrain: setup native
	$(SCALEFOLD) pretrain

# Benchmarks print figures (medians, ratios); they assert nothing.
BENCH_FILES := $(shell find test/bench -name '*.bench.ts' 2>/dev/null | sort)
bench: setup
	@for f in $(BENCH_FILES); do echo "== $$f" >&2; node --import tsx $$f || exit 1; done

# The native core (trainer/core): CPU ops always, CUDA kernels where nvcc is
# found, cuBLASLt GEMMs where CMake finds cuBLASLt. Node's headers come from
# the running node's install prefix (npm nodedir); NODE_API_INCLUDE overrides.
NATIVE := trainer/core/build/scalefold_core.node
NATIVE_SOURCES := trainer/core/CMakeLists.txt $(shell find trainer/core/src -type f 2>/dev/null | sort)
NODE_API_INCLUDE ?= $(firstword $(foreach d,$(shell node -p "process.config.variables.node_prefix" 2>/dev/null)/include/node /usr/include/node /usr/local/include/node,$(if $(wildcard $(d)/node_api.h),$(d))))
native: $(NATIVE)

$(NATIVE): $(NATIVE_SOURCES)
	cmake -S trainer/core -B trainer/core/build -DCMAKE_BUILD_TYPE=Release -DNODE_API_INCLUDE=$(NODE_API_INCLUDE) >&2
	cmake --build trainer/core/build -j $$(nproc) >&2
	@touch $@

# GPU workflow (see README "Native core and GPU runs"). The GPU machine has no
# Node and no registry: device-bundle packs into .device/ the node binary
# (xz), the Node-API headers, the core's sources, the GPU tests and benchmarks
# bundled to single JS files (esbuild, brought by tsx) and run.sh, which builds
# the core there for sm_90 and runs them: `bash .device/run.sh test|bench|all`.
# test-gpu and bench-gpu are what run.sh runs where a GPU and Node exist.
DEVICE := .device
ESBUILD := node_modules/.bin/esbuild
device-bundle: install
	rm -rf $(DEVICE) && mkdir -p $(DEVICE)/include $(DEVICE)/core
	xz -T0 -6 -c "$$(command -v node)" > $(DEVICE)/node.xz
	cp $(NODE_API_INCLUDE)/node_api.h $(NODE_API_INCLUDE)/node_api_types.h \
	   $(NODE_API_INCLUDE)/js_native_api.h $(NODE_API_INCLUDE)/js_native_api_types.h $(DEVICE)/include/
	cp -r trainer/core/CMakeLists.txt trainer/core/src $(DEVICE)/core/
	$(ESBUILD) test/gpu/ops.gpu.ts --bundle --platform=node --format=esm --target=node20 --log-level=warning --outfile=$(DEVICE)/ops_gpu.mjs
	$(ESBUILD) test/gpu/bench.gpu.ts --bundle --platform=node --format=esm --target=node20 --log-level=warning --outfile=$(DEVICE)/bench_gpu.mjs
	cp test/gpu/bench_torch.py test/gpu/run.sh $(DEVICE)/
	@du -sh $(DEVICE) >&2

test-gpu: native
	node --import tsx test/gpu/ops.gpu.ts

bench-gpu: native
	node --import tsx test/gpu/bench.gpu.ts
	python3 test/gpu/bench_torch.py

clean:
	rm -rf build dist .device runs trainer/core/build
