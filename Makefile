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

# PRETRAIN_ARGS passes options, e.g. make pretrain PRETRAIN_ARGS=--resume
pretrain: setup native
	$(SCALEFOLD) pretrain $(PRETRAIN_ARGS)

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
# (stripped, xz, split into parts of NODE_PART_BYTES so that each part fits
# beside the tracked tree in one device call), and .device/payload/: the
# Node-API headers, the core's sources, the GPU tests and benchmarks bundled
# to single JS files (esbuild, brought by tsx) and run.sh, which gathers the
# node parts, builds the core there for sm_90 and runs them:
#   one call per part but the last:  bash .device/payload/run.sh stash
#   (or, where they all fit: carry .device whole)  then  run.sh test|bench|all
# test-gpu and bench-gpu are what run.sh runs, where a GPU and Node exist.
DEVICE := .device
ESBUILD := node_modules/.bin/esbuild
NODE_PART_BYTES ?= 5500000
ESBUILD_FLAGS := --bundle --platform=node --format=esm --target=node20 --log-level=warning
# Every test/gpu/*.gpu.ts is bundled: bench*.gpu.ts are benchmarks (run.sh
# bench), the others GPU tests (run.sh test); run.sh node X.mjs runs one.
GPU_SCRIPTS := $(shell find test/gpu -maxdepth 1 -name '*.gpu.ts' 2>/dev/null | sort)
GPU_TESTS := $(filter-out test/gpu/bench%,$(GPU_SCRIPTS))
GPU_BENCHES := $(filter test/gpu/bench%,$(GPU_SCRIPTS))
device-bundle: install
	@mkdir -p $(DEVICE)
	@if [ ! -f $(DEVICE)/node.parts ]; then \
	  echo "compressing node (strip + xz -9e, about a minute)" >&2; \
	  cp "$$(command -v node)" $(DEVICE)/node && strip $(DEVICE)/node && \
	  xz -9e -T0 -c $(DEVICE)/node > $(DEVICE)/node.xz && rm $(DEVICE)/node && \
	  split -b $(NODE_PART_BYTES) -d -a 2 $(DEVICE)/node.xz $(DEVICE)/node.xz.part- && rm $(DEVICE)/node.xz && \
	  (cd $(DEVICE) && ls node.xz.part-* > node.parts); fi
	rm -rf $(DEVICE)/payload && mkdir -p $(DEVICE)/payload/include $(DEVICE)/payload/core
	cp $(DEVICE)/node.parts $(DEVICE)/payload/
	cp $(NODE_API_INCLUDE)/node_api.h $(NODE_API_INCLUDE)/node_api_types.h \
	   $(NODE_API_INCLUDE)/js_native_api.h $(NODE_API_INCLUDE)/js_native_api_types.h $(DEVICE)/payload/include/
	cp -r trainer/core/CMakeLists.txt trainer/core/src $(DEVICE)/payload/core/
	@for f in $(GPU_SCRIPTS); do n=$$(basename $$f .gpu.ts); \
	  $(ESBUILD) $$f $(ESBUILD_FLAGS) --outfile=$(DEVICE)/payload/$${n}_gpu.mjs || exit 1; done
	cp test/gpu/bench_torch.py test/gpu/run.sh $(DEVICE)/payload/
	bash test/gpu/bundle_pretrain.sh $(DEVICE)/payload
	@ls -l $(DEVICE) >&2

test-gpu: native
	@status=0; for f in $(GPU_TESTS); do echo "== $$f" >&2; node --import tsx $$f || status=1; done; exit $$status

bench-gpu: native
	@for f in $(GPU_BENCHES); do echo "== $$f" >&2; node --import tsx $$f || exit 1; done
	python3 test/gpu/bench_torch.py

clean:
	rm -rf build dist .device runs trainer/core/build
