// Runs every test suite (test/**/*.test.ts) with Node's own runner and fails
// when a suite file exists that did not run, that ran no test, or that
// skipped one. Node 20's runner neither finds .ts files nor expands quoted
// globs, so the file list is built here and checked against the command line.
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

function findSuites(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(path).isDirectory()) found.push(...findSuites(path));
    else if (name.endsWith('.test.ts')) found.push(resolve(path));
  }
  return found;
}

const requested = process.argv.slice(2).map((f) => resolve(f));
const present = findSuites('test');
const files = requested.length > 0 ? requested : present;
const notRequested = present.filter((f) => !files.includes(f));

const passedByFile = new Map<string, number>();
const problems: string[] = [];
let failed = 0;

const stream = run({ files, concurrency: Number(process.env.TEST_CONCURRENCY ?? 2) });
stream.on('test:pass', (data: { file?: string; skip?: unknown; todo?: unknown; name: string }) => {
  if (data.skip !== undefined || data.todo !== undefined) {
    problems.push(`skipped or todo test "${data.name}" in ${data.file ?? '?'}`);
    return;
  }
  if (data.file) passedByFile.set(data.file, (passedByFile.get(data.file) ?? 0) + 1);
});
stream.on('test:fail', () => {
  failed += 1;
});
stream.compose(new spec()).pipe(process.stdout);

await new Promise<void>((done) => stream.on('end', done));
for (const file of notRequested) problems.push(`suite not run: ${file}`);
for (const file of files) {
  if (!passedByFile.has(file) && failed === 0) problems.push(`suite ran no passing test: ${file}`);
}
if (problems.length > 0) {
  process.stderr.write(`\nrun_suites: ${problems.length} problem(s):\n  ${problems.join('\n  ')}\n`);
  process.exitCode = 1;
}
if (failed > 0) process.exitCode = 1;
