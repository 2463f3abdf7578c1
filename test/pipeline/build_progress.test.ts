// The build's progress output: a redrawn bar with chains/s and ETA on a
// terminal, plain lines otherwise; log lines are never overdrawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress } from '../../pipeline/build/progress.ts';

function sink(): { stream: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const stream = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => text };
}

test('on a terminal: a bar redrawn in place with rate and ETA', () => {
  const out = sink();
  const p = new Progress(out.stream, true, 10);
  p.update({ finished: 5, total: 10, failed: 1, filtered: 2 }, true);
  p.log('committed shard-00000.arrow');
  p.finish({ finished: 10, total: 10, failed: 1, filtered: 2 });
  const text = out.text();
  assert.match(text, /^\r\x1b\[K\[#{15}\.{15}\] 5\/10 chains {2}[\d.]+ chains\/s {2}ETA \S+ {2}failed 1 {2}filtered 2/);
  assert.match(text, /\r\x1b\[Kbuild: committed shard-00000\.arrow\n/);
  assert.match(text, /\[#{30}\] 10\/10 chains .*\n$/);
});

test('elsewhere: plain lines, rate-limited unless forced', () => {
  const out = sink();
  const p = new Progress(out.stream, false, 3600);
  p.update({ finished: 1, total: 4, failed: 0, filtered: 0 }, true);
  p.update({ finished: 2, total: 4, failed: 0, filtered: 0 });
  p.finish({ finished: 4, total: 4, failed: 0, filtered: 0 });
  const lines = out.text().trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^build: 1\/4 chains/);
  assert.match(lines[1]!, /^build: 4\/4 chains .*ETA 0s/);
  assert.ok(!out.text().includes('\r'));
});
