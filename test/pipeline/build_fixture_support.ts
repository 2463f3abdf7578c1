// Shared by the build/validate suites: running the CLI, and the inputs the
// minitrain fixture lacks, made from its real files: an OpenFold alignment_db
// (.db + JSON .index), a PDB obsolete.dat and an OpenFold cluster file.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const MINITRAIN = join(REPO, 'test', 'fixtures', 'minitrain');
export const MMCIFS = join(MINITRAIN, 'mmcifs');
export const ALIGNMENTS = join(MINITRAIN, 'alignments');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `scalefold <args>`; `onStderr` sees stderr as it arrives and may signal the process (SIGKILL by default). */
export function runCli(args: string[], onStderr?: (text: string, kill: (signal?: NodeJS.Signals) => void) => void): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'trainer', 'cli.ts'), ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      onStderr?.(stderr, (signal = 'SIGKILL') => child.kill(signal));
    });
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

export function buildArgs(out: string, extra: string[] = []): string[] {
  return ['build', '--mmcif-dir', MMCIFS, '--alignment-dir', ALIGNMENTS, '--out', out, '--threads', '2', '--json', ...extra];
}

/**
 * OpenFold's alignment_db (scripts/alignment_db_scripts/create_alignment_db.py):
 * every file of every chain appended to one .db, and an index
 * {chain: {"db": name, "files": [[file, start, length], ...]}}.
 */
export function makeAlignmentDb(chains: readonly string[], outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const dbName = 'alignment_db_0.db';
  const fd = openSync(join(outDir, dbName), 'w');
  const index: Record<string, { db: string; files: [string, number, number][] }> = {};
  let offset = 0;
  for (const chain of chains) {
    const files: [string, number, number][] = [];
    for (const name of readdirSync(join(ALIGNMENTS, chain)).sort()) {
      const bytes = readFileSync(join(ALIGNMENTS, chain, name));
      writeSync(fd, bytes);
      files.push([name, offset, bytes.byteLength]);
      offset += bytes.byteLength;
    }
    index[chain] = { db: dbName, files };
  }
  closeSync(fd);
  const indexPath = join(outDir, 'alignment_db.index');
  writeFileSync(indexPath, JSON.stringify(index));
  return indexPath;
}

/** The PDB's obsolete.dat format: a title line, then `OBSLTE    DD-MON-YY OLD      NEW` lines. */
export function writeObsoleteDat(path: string): void {
  writeFileSync(
    path,
    [
      ' LIST OF OBSOLETE COORDINATE ENTRIES AND SUCCESSORS',
      'OBSLTE    31-JUL-94 116L     216L',
      'OBSLTE    26-SEP-06 2H3X     2NQB',
      'OBSLTE    12-NOV-03 1AXZ',
      '',
    ].join('\n'),
  );
}

/** OpenFold cluster file: one cluster per line, `{PDB}_{CHAIN}` names separated by spaces. */
export const CLUSTERS = [
  ['2Q2K_A', '2Q2K_B'],
  ['3U8V_A', '3U8V_B', '9XYZ_C'],
  ['4DMD_A', '4DMD_B'],
  ['102M_A', '8F9H_A', '1ABC_A', '1ABC_B'],
  ['1PSM_A'],
];

export function writeClusterFile(path: string): void {
  writeFileSync(path, CLUSTERS.map((c) => c.join(' ')).join('\n') + '\n');
}

/** Cluster size the build should report for a chain (-1: not in the file). */
export function expectedClusterSize(chain: string): number {
  return CLUSTERS.find((c) => c.includes(chain.toUpperCase()))?.length ?? -1;
}

export interface ManifestChain {
  chain: string;
  length: number;
  sequence: string;
}

export function manifestChains(): ManifestChain[] {
  return (JSON.parse(readFileSync(join(MINITRAIN, 'manifest.json'), 'utf8')) as { chains: ManifestChain[] }).chains;
}
