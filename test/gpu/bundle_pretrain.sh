#!/usr/bin/env bash
# Part of `make device-bundle`: packs the `scalefold` CLI for the GPU machine
# (no Node modules there), so that `run.sh pretrain ARGS` can build a dataset
# from test/fixtures and train on CUDA.
#  - scalefold.mjs: trainer/cli.ts bundled (esbuild, ESM, with require /
#    __dirname defined for the CommonJS dependencies);
#  - the worker entries the pools load with new URL('./X_entry.mjs',
#    import.meta.url): bundled from the TS worker under that name next to the
#    CLI bundle (the .mjs entries in the tree register tsx, absent there);
#  - piscina unbundled in payload/node_modules/piscina: its worker.js and the
#    task modules must share one copy (Piscina.move marks results with a
#    module-local symbol), and it starts workers from __dirname/worker.js.
# Usage: bash test/gpu/bundle_pretrain.sh OUT_DIR
set -euo pipefail
out="$1"
esbuild=node_modules/.bin/esbuild
banner='import { createRequire as __sfCreateRequire } from "node:module"; import { fileURLToPath as __sfFileURLToPath } from "node:url"; import { dirname as __sfDirname } from "node:path"; const require = __sfCreateRequire(import.meta.url); const __filename = __sfFileURLToPath(import.meta.url); const __dirname = __sfDirname(__filename);'
flags=(--bundle --platform=node --format=esm --target=node20 --log-level=warning --external:piscina --minify-whitespace "--banner:js=$banner")
"$esbuild" trainer/cli.ts "${flags[@]}" --outfile="$out/scalefold.mjs"
for w in pipeline/loader/sample_worker.ts:sample_worker_entry pipeline/build/chain_worker.ts:chain_worker_entry \
         trainer/eval/eval_worker.ts:eval_worker_entry pipeline/validate/shard_check_worker.ts:shard_check_worker_entry \
         trainer/train/checkpoint_worker.ts:checkpoint_worker_entry; do
  "$esbuild" "${w%%:*}" "${flags[@]}" --outfile="$out/${w##*:}.mjs"
done
mkdir -p "$out/node_modules/piscina"
(cd node_modules/piscina && tar cf - package.json LICENSE $(find dist -name '*.js' -o -name '*.mjs')) | tar xf - -C "$out/node_modules/piscina"
du -sh "$out" >&2
