#!/usr/bin/env bash
# Runs on the GPU machine from the bundle made by `make device-bundle`
# (carried as .device/): unpacks Node, builds the core for sm_90 with CMake
# (cuBLASLt found there), then runs the GPU tests and/or benchmarks.
#   bash .device/run.sh test|bench|all
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
what="${1:-all}"
work=/tmp/scalefold-device
mkdir -p "$work/bin"
[ -x "$work/bin/node" ] || xz -dc "$here/node.xz" > "$work/bin/node"
chmod +x "$work/bin/node"
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
status=0
if [ "$what" = test ] || [ "$what" = all ]; then
  "$work/bin/node" "$here/ops_gpu.mjs" || status=1
fi
if [ "$what" = bench ] || [ "$what" = all ]; then
  "$work/bin/node" "$here/bench_gpu.mjs" || status=1
  PYTHONUNBUFFERED=1 python3 "$here/bench_torch.py" || status=1
fi
exit $status
