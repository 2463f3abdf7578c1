#!/usr/bin/env bash
# Runs on the GPU machine from the bundle made by `make device-bundle`:
# gathers the parts of the compressed node binary (.device/node.xz.part-*,
# carried in earlier calls with `stash`, or all at once), builds the core for
# sm_90 with CMake (cuBLASLt found there), then runs the GPU tests and/or
# benchmarks.
#   bash .device/payload/run.sh stash|test|bench|all
#   bash .device/payload/run.sh node NAME_gpu.mjs [args]   (one bundled script)
#   bash .device/payload/run.sh pretrain [pretrain args]   (scalefold pretrain --device cuda)
#   bash .device/payload/run.sh cli COMMAND [args]          (any scalefold command, e.g. breakdown)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
what="${1:-all}"
work=/tmp/scalefold-device
parts="$work/node-parts"
mkdir -p "$work/bin" "$parts"
for p in "$here"/../node.xz.part-*; do [ -f "$p" ] && cp "$p" "$parts/"; done
if [ "$what" = stash ]; then
  echo "node parts here: $(cd "$parts" && ls | tr '\n' ' ')"
  exit 0
fi
if [ ! -x "$work/bin/node" ]; then
  missing=0
  while read -r p; do [ -f "$parts/$p" ] || { echo "missing node part $p (stash it in an earlier call on this machine)" >&2; missing=1; }; done < "$here/node.parts"
  [ $missing = 0 ] || exit 2
  (cd "$parts" && cat $(cat "$here/node.parts")) | xz -dc > "$work/bin/node"
  chmod +x "$work/bin/node"
fi
"$work/bin/node" --version
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv,noheader || true
cmake -S "$here/core" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DNODE_API_INCLUDE="$here/include" > "$work/cmake.log"
grep -E "scalefold_core:" "$work/cmake.log" || true
if ! cmake --build "$work/build" -j "$(nproc)" > "$work/build.log" 2>&1; then
  # keep the run useful if the cuBLASLt part fails to build: report it, then build without it
  grep -E "error" "$work/build.log" | head -20
  echo "build failed; retrying without cuBLASLt" >&2
  cmake -S "$here/core" -B "$work/build" -DSF_CUBLASLT=OFF > /dev/null
  cmake --build "$work/build" -j "$(nproc)" > "$work/build.log" 2>&1 || { tail -50 "$work/build.log"; exit 1; }
fi
export SCALEFOLD_CORE="$work/build/scalefold_core.node"
export PATH="$work/bin:$PATH"
status=0
if [ "$what" = pretrain ]; then
  # pretrain --device cuda on the fixtures (the default datasets are built into
  # runs/datasets/ under the cwd, the repository root); extra args pass through,
  # e.g. run.sh pretrain --steps 60 --profile. Peak GPU memory: nvidia-smi
  # sampled every 200 ms (the process's pool, as the driver sees it).
  shift
  mem="$work/memory.csv"
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$mem" 2>/dev/null &
  smi=$!
  SCALEFOLD_REPO="$PWD" "$work/bin/node" "$here/scalefold.mjs" pretrain --device cuda "$@" || status=$?
  kill "$smi" 2>/dev/null || true
  echo "peak GPU memory used (nvidia-smi, sampled): $(sort -n "$mem" | tail -1) MiB"
  exit $status
fi
if [ "$what" = cli ]; then
  shift
  SCALEFOLD_REPO="$PWD" "$work/bin/node" "$here/scalefold.mjs" "$@"
  exit $?
fi
if [ "$what" = node ]; then
  shift
  script="$1"; shift
  "$work/bin/node" "$here/$script" "$@"
  exit $?
fi
if [ "$what" = test ] || [ "$what" = all ]; then
  for t in "$here"/*_gpu.mjs; do
    case "$(basename "$t")" in bench*) continue ;; esac
    echo "== $(basename "$t")"
    "$work/bin/node" "$t" || status=1
  done
fi
if [ "$what" = bench ] || [ "$what" = all ]; then
  for b in "$here"/bench*_gpu.mjs; do
    echo "== $(basename "$b")"
    "$work/bin/node" "$b" || status=1
  done
  PYTHONUNBUFFERED=1 python3 "$here/bench_torch.py" || status=1
fi
exit $status
