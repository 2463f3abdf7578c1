import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { PrefetchQueue, type SkippedItem } from '../../pipeline/loader/prefetch_queue.ts';

/** Deterministic per-index delays: mostly short, every 7th item slow. */
function delayOf(index: number): number {
  return index % 7 === 3 ? 60 : (index * 37) % 11;
}

async function drain<T>(queue: PrefetchQueue<T>): Promise<number[]> {
  const seen: number[] = [];
  for await (const item of queue) seen.push(item.index);
  return seen;
}

test('ready-first delivers every item exactly once, earliest ready first', async () => {
  const queue = new PrefetchQueue(40, async (i) => {
    await sleep(delayOf(i));
    return i * 2;
  }, { order: 'ready-first', depth: 8, concurrency: 4, timeoutMs: 5000 });
  const seen = await drain(queue);
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
  // The slow items must have been overtaken: the order is not the sampler order.
  assert.notDeepEqual(seen, Array.from({ length: 40 }, (_, i) => i));
});

test('strict preserves the sampler order', async () => {
  const queue = new PrefetchQueue(30, async (i) => {
    await sleep(delayOf(i));
    return i;
  }, { order: 'strict', depth: 6, concurrency: 3, timeoutMs: 5000 });
  const values: number[] = [];
  for await (const item of queue) {
    assert.equal(item.value, item.index);
    values.push(item.index);
  }
  assert.deepEqual(values, Array.from({ length: 30 }, (_, i) => i));
});

for (const order of ['strict', 'ready-first'] as const) {
  test(`${order}: a hung item and a failing item are skipped and reported, the rest delivered`, async () => {
    const skipped: SkippedItem[] = [];
    const queue = new PrefetchQueue(12, (i) => {
      if (i === 4) return new Promise<number>(() => {}); // never settles
      if (i === 7) return Promise.reject(new Error('worker exited with code 1'));
      return sleep(2).then(() => i);
    }, { order, depth: 4, concurrency: 2, timeoutMs: 100 }, (item) => skipped.push(item));
    const seen = await drain(queue);
    assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3, 5, 6, 8, 9, 10, 11]);
    assert.deepEqual(skipped.map((s) => [s.index, s.reason]).sort(), [[4, 'timeout'], [7, 'error']]);
    assert.match(skipped.find((s) => s.index === 7)!.message, /worker exited/);
  });
}

test('memory stays bounded with a slow consumer: never more than depth items produced ahead', async () => {
  let started = 0;
  let maxBuffered = 0;
  const queue = new PrefetchQueue(50, async (i) => {
    started += 1;
    return i;
  }, { order: 'ready-first', depth: 5, concurrency: 4, timeoutMs: 1000 });
  let consumed = 0;
  for await (const _ of queue) {
    consumed += 1;
    await sleep(3); // slow consumer
    maxBuffered = Math.max(maxBuffered, queue.buffered);
    assert.ok(started - consumed <= 5, `started ${started}, consumed ${consumed}`);
  }
  assert.equal(consumed, 50);
  assert.ok(maxBuffered <= 5);
});

test('close() returns while tasks hang, and next() then yields nothing', async () => {
  const queue = new PrefetchQueue(10, () => new Promise<number>(() => {}), {
    order: 'ready-first', depth: 3, concurrency: 3, timeoutMs: 60_000,
  });
  await queue.close();
  assert.equal(await queue.next(), null);
});

test('tryNext never waits: null while nothing is ready, then the ready item (strict order kept), mixed with next()', async () => {
  const release: (() => void)[] = [];
  const queue = new PrefetchQueue(3, (i) => new Promise<number>((done) => release.push(() => done(i * 10))), { order: 'strict', depth: 3, concurrency: 3, timeoutMs: 5000 });
  assert.equal(queue.tryNext(), null);
  await sleep(5);
  assert.equal(release.length, 3);
  release[1]!(); // item 1 ready, item 0 not: strict order gives nothing yet
  await sleep(5);
  assert.equal(queue.tryNext(), null);
  release[0]!();
  await sleep(5);
  assert.deepEqual(queue.tryNext(), { index: 0, value: 0 });
  assert.deepEqual(queue.tryNext(), { index: 1, value: 10 });
  assert.equal(queue.tryNext(), null);
  const last = queue.next();
  release[2]!();
  assert.deepEqual(await last, { index: 2, value: 20 });
  assert.equal(queue.tryNext(), null);
  assert.equal(await queue.next(), null);
});
