// Runs the `kalign` binary (Kalign 3, Debian package `kalign`) on a few
// sequences, as AlphaFold's tools/kalign.py does for template realignment:
// the sequences as FASTA named `sequence 1..n`, `-format fasta`, the aligned
// rows read back (in input order, matched by name).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../features/errors.ts';

export const KALIGN_INSTALL_HINT = "install it with 'apt-get install kalign' (Debian/Ubuntu) or run 'make setup'";

/** kalign is not installed (or not executable): a set-up problem, fatal for the chain. */
export class KalignNotFoundError extends InputError {
  constructor(binary: string, source: string) {
    super({ source }, `realigning a template hit needs the kalign binary, but '${binary}' was not found on PATH: ${KALIGN_INSTALL_HINT}`);
    this.name = 'KalignNotFoundError';
  }
}

/** kalign ran and failed on these sequences. */
export class KalignError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KalignError';
  }
}

export interface KalignOptions {
  /** Binary name or path; default `kalign` (found on PATH). */
  binary?: string;
  /** File whose hit needed the alignment: named by a missing-binary error. */
  source: string;
}

function run(binary: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Parse kalign's FASTA output into rows by record name. */
function readAlignedFasta(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  let name: string | null = null;
  let parts: string[] = [];
  const flush = (): void => {
    if (name !== null) rows.set(name, parts.join(''));
  };
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('>')) {
      flush();
      name = trimmed.slice(1).trim();
      parts = [];
    } else if (trimmed.length > 0) {
      parts.push(trimmed.toUpperCase());
    }
  }
  flush();
  return rows;
}

/** Align `sequences` with kalign; returns the aligned rows, gaps as '-', in input order. */
export async function kalignAlign(sequences: readonly string[], options: KalignOptions): Promise<string[]> {
  const binary = options.binary ?? 'kalign';
  const dir = await mkdtemp(join(tmpdir(), 'scalefold-kalign-'));
  try {
    const input = join(dir, 'input.fasta');
    const output = join(dir, 'output.a3m');
    await writeFile(input, sequences.map((s, i) => `>sequence ${i + 1}\n${s}\n`).join(''));
    let result;
    try {
      result = await run(binary, ['-i', input, '-o', output, '-format', 'fasta']);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES') throw new KalignNotFoundError(binary, options.source);
      throw error;
    }
    if (result.code !== 0) throw new KalignError(`kalign exited with status ${result.code}: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`);
    const rows = readAlignedFasta(await readFile(output, 'utf8'));
    return sequences.map((_, i) => {
      const row = rows.get(`sequence ${i + 1}`);
      if (row === undefined) throw new KalignError(`kalign output lacks 'sequence ${i + 1}'`);
      return row.replaceAll('.', '-');
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
