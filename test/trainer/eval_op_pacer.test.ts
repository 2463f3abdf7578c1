// Paced evaluation (trainer/eval/op_pacer.ts): after every chunk of ops the
// pacer waits for the device and pauses chunk*(1-share)/share, so the paced
// work keeps the device busy for at most `share` of the wall time; lifting
// the shared flag ends the pacing (and a pause in progress).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { add, mul, scope } from '../../trainer/autograd/index.ts';
import { setOpPacer } from '../../trainer/core/ops.ts';
import { tensor } from '../../trainer/core/tensor.ts';
import { OpPacer, PACED, atomicsSleep, pacingFlag, releasePacing, type PacerClock } from '../../trainer/eval/op_pacer.ts';

/** A fake clock: every op "costs" opMs of device time, drains are counted, sleeps advance the clock. */
function fakeClock(opMs: number) {
  const c = { t: 0, drains: 0, sleeps: [] as number[] };
  const clock: PacerClock = {
    now: () => c.t,
    drain: () => { c.drains++; },
    sleep: (ms) => { c.sleeps.push(ms); c.t += ms; },
  };
  return { c, clock, op: (pacer: OpPacer) => { c.t += opMs; pacer.onOp(); } };
}

test('pauses chunk*(1-share)/share after every opsPerChunk ops: busy share of the wall time is `share`', () => {
  const { c, clock, op } = fakeClock(2);
  const pacer = new OpPacer({ share: 0.25, opsPerChunk: 5, clock });
  for (let i = 0; i < 23; i++) op(pacer);
  // 4 full chunks of 5 ops x 2 ms = 10 ms each, paused 10 * 0.75 / 0.25 = 30 ms each; 3 ops pending
  assert.equal(c.drains, 4);
  assert.deepEqual(c.sleeps, [30, 30, 30, 30]);
  assert.equal(pacer.busyMs, 40);
  assert.equal(pacer.sleptMs, 120);
  assert.equal(pacer.busyMs / (pacer.busyMs + pacer.sleptMs), 0.25);
  pacer.endChunk();
  assert.equal(c.drains, 5);
  assert.equal(c.sleeps.at(-1), 6 * 3);
});

test('restart() leaves idle time out of the next chunk; share 1 never drains or pauses', () => {
  const { c, clock, op } = fakeClock(1);
  const pacer = new OpPacer({ share: 0.5, opsPerChunk: 2, clock });
  c.t += 1000; // idle between evaluations
  pacer.restart();
  op(pacer); op(pacer);
  assert.deepEqual(c.sleeps, [2]);
  const { c: c1, clock: clock1, op: op1 } = fakeClock(1);
  const unpaced = new OpPacer({ share: 1, opsPerChunk: 1, clock: clock1 });
  for (let i = 0; i < 10; i++) op1(unpaced);
  assert.equal(c1.drains, 0);
  assert.equal(c1.sleeps.length, 0);
  assert.throws(() => new OpPacer({ share: 0, opsPerChunk: 1, clock }), /share/);
  assert.throws(() => new OpPacer({ share: 1.5, opsPerChunk: 1, clock }), /share/);
});

test('a released flag stops the pacing', () => {
  const { c, clock, op } = fakeClock(1);
  const flag = pacingFlag();
  const pacer = new OpPacer({ share: 0.1, opsPerChunk: 1, clock, release: flag });
  op(pacer); op(pacer);
  assert.equal(c.sleeps.length, 2);
  releasePacing(flag);
  for (let i = 0; i < 5; i++) op(pacer);
  assert.equal(c.sleeps.length, 2);
  assert.equal(c.drains, 2);
});

test('core ops call the thread\'s pacer after every dispatch; a real CPU workload is paced to its share', () => {
  const share = 0.25;
  const pacer = new OpPacer({ share, opsPerChunk: 8, clock: { now: () => performance.now(), drain: () => {}, sleep: atomicsSleep } });
  let calls = 0;
  setOpPacer(() => { calls++; pacer.onOp(); });
  const wall0 = performance.now();
  try {
    scope(() => {
      let x = tensor(new Float32Array(256 * 256).fill(0.5), [256, 256]);
      for (let i = 0; i < 40; i++) x = add(mul(x, x), x);
    });
  } finally {
    setOpPacer(null);
  }
  const wall = performance.now() - wall0;
  // one call per op (the 80 ops of the loop; the tensor upload is no op)
  assert.equal(calls, 80);
  assert.equal(pacer.chunks, 10);
  // the pauses are exactly (1 - share) / share of the measured busy time ...
  assert.ok(pacer.busyMs > 0);
  assert.ok(Math.abs(pacer.sleptMs - pacer.busyMs * (1 - share) / share) < 1e-9 * pacer.sleptMs);
  // ... and they were really slept (Atomics.wait sleeps at least as long as asked)
  assert.ok(wall >= pacer.busyMs + pacer.sleptMs - 1, `wall ${wall} ms < busy ${pacer.busyMs} + slept ${pacer.sleptMs}`);
  // no pacer afterwards: ops do not call it
  scope(() => add(tensor([1], [1]), tensor([2], [1])));
  assert.equal(calls, 80);
});

test('releasePacing wakes a pause in progress in another thread', async () => {
  const flag = pacingFlag();
  const worker = new Worker(`
    const { workerData, parentPort } = require('node:worker_threads');
    parentPort.postMessage('sleeping');
    const r = Atomics.wait(workerData, 0, ${PACED}, 60000);
    parentPort.postMessage(r);
  `, { eval: true, workerData: flag });
  const replies: unknown[] = [];
  const done = new Promise<void>((resolve) => worker.on('message', (m) => { replies.push(m); if (replies.length === 2) resolve(); }));
  await new Promise<void>((resolve) => worker.once('message', () => resolve()));
  releasePacing(flag);
  await done;
  await worker.terminate();
  // 'ok' (woken) or 'not-equal' (released before the wait began), never 'timed-out'
  assert.notEqual(replies[1], 'timed-out');
});
