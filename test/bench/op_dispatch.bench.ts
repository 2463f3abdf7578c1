// Host-side cost of one native op call on tiny CPU tensors (the op itself
// costs next to nothing, so the figures are the dispatch path): the raw
// native.run, runOp, Tensor construction, and the autograd functions with
// and without a recording tape. Prints medians in ns/call.
// Run: node --import tsx test/bench/op_dispatch.bench.ts
import { native } from '../../trainer/core/binding.ts';
import { runOp } from '../../trainer/core/ops.ts';
import { Tensor, tensor, parameter } from '../../trainer/core/tensor.ts';
import { add, exp, permute, scope, Tape, recordOn } from '../../trainer/autograd/index.ts';

const BATCH = 1000;
const ROUNDS = 41;

/**
 * Median ns per call of fn over ROUNDS batches of BATCH calls (each batch in
 * its own scope); the fastest batch goes to `fastest` (less noisy on a shared machine).
 */
const fastest = new Map<string, number>();
let lastMin = 0;
function measure(fn: () => void): number {
  const per: number[] = [];
  for (let r = 0; r < ROUNDS + 2; r++) {
    const t0 = process.hrtime.bigint();
    scope(() => {
      for (let i = 0; i < BATCH; i++) fn();
    });
    const dt = Number(process.hrtime.bigint() - t0) / BATCH;
    if (r >= 2) per.push(dt);
  }
  per.sort((a, b) => a - b);
  lastMin = per[0];
  return per[Math.floor(per.length / 2)];
}

const a = parameter(tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [4, 4]));
const b = tensor([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [4, 4]);
const one = tensor([1], [1]);
const handles = [a.handle, b.handle];
const addAttrs = { fn: 'add' };

const rows: [string, number][] = [];
function push(row: [string, number]): void {
  rows.push(row);
  fastest.set(row[0], lastMin);
}
push(['native.run binary add (raw handles, outputs disposed)', measure(() => {
  const [h] = native.run('binary', handles, addAttrs);
  if (h) native.dispose(h);
})]);
push(['native.describe', measure(() => {
  native.describe(a.handle);
})]);
push(['native.reshape + new Tensor', measure(() => {
  new Tensor(native.reshape(a.handle, [16]));
})]);
push(['runOp binary add [4,4]', measure(() => {
  runOp('binary', [a, b], addAttrs);
})]);
push(['runOp binary add [1]', measure(() => {
  runOp('binary', [one, one], addAttrs);
})]);
push(['runOp unary exp', measure(() => {
  runOp('unary', [b], { fn: 'exp', lo: -Infinity, hi: Infinity });
})]);
push(['runOp permute', measure(() => {
  runOp('permute', [a], { perm: [1, 0] });
})]);
push(['autograd add, no tape', measure(() => {
  add(a, b);
})]);
push(['autograd exp, no tape', measure(() => {
  exp(b);
})]);
push(['autograd permute, no tape', measure(() => {
  permute(a, [1, 0]);
})]);
{
  const tape = new Tape();
  push(['autograd add, tape recording', measure(() => {
    recordOn(tape, () => add(a, b));
  })]);
  tape.release();
}

const w = Math.max(...rows.map((r) => r[0].length));
console.log(`op dispatch host cost (CPU, ns/call over ${ROUNDS} batches of ${BATCH}: median, fastest batch)`);
for (const [name, ns] of rows) console.log(`  ${name.padEnd(w)}  ${ns.toFixed(0).padStart(7)} ns  ${(fastest.get(name) ?? 0).toFixed(0).padStart(7)} ns`);
const raw = rows[0][1];
const viaRunOp = rows[3][1];
const ag = rows[7][1];
console.log(`breakdown (binary add): native.run ${raw.toFixed(0)} ns, runOp adds ${(viaRunOp - raw).toFixed(0)} ns, autograd (no tape) adds ${(ag - viaRunOp).toFixed(0)} ns`);
console.log(`memory after: ${JSON.stringify(native.memoryStats())}`);
