// OpenFold's alignment_db: alignment files of many chains concatenated into
// `.db` files, with a JSON `.index` mapping each chain to its db file and,
// per alignment file, [name, start byte, byte length]
// (openfold scripts/alignment_db_scripts/create_alignment_db*.py; read by
// OpenFold's DataPipeline._parse_msa_data with alignment_index).
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../../features/errors.ts';

export interface AlignmentDbEntry {
  /** Path of the `.db` file. */
  db: string;
  files: { name: string; start: number; length: number }[];
}

function isFileTriple(value: unknown): value is [string, number, number] {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    typeof value[0] === 'string' &&
    Number.isSafeInteger(value[1]) &&
    Number.isSafeInteger(value[2]) &&
    (value[1] as number) >= 0 &&
    (value[2] as number) >= 0
  );
}

/** Reads a `.index` file; db paths resolve against its folder. */
export async function readAlignmentIndex(indexPath: string): Promise<Map<string, AlignmentDbEntry>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (error) {
    throw new InputError({ source: indexPath }, `cannot read the alignment index: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InputError({ source: indexPath }, 'the alignment index must be a JSON object of chain -> {db, files}');
  }
  const dir = dirname(indexPath);
  const out = new Map<string, AlignmentDbEntry>();
  for (const [chain, value] of Object.entries(parsed as Record<string, unknown>)) {
    const entry = value as { db?: unknown; files?: unknown };
    if (typeof entry?.db !== 'string' || !Array.isArray(entry.files) || !entry.files.every(isFileTriple)) {
      throw new InputError({ source: indexPath }, `entry '${chain}' is not {"db": name, "files": [[name, start, length], ...]}`);
    }
    out.set(chain, {
      db: join(dir, basename(entry.db)),
      files: (entry.files as [string, number, number][]).map(([name, start, length]) => ({ name, start, length })),
    });
  }
  return out;
}

/** Copies one chain's files out of its `.db` into `folder` (an alignment folder in the usual layout). */
export function extractAlignmentFiles(entry: AlignmentDbEntry, folder: string): void {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  let fd: number;
  try {
    fd = openSync(entry.db, 'r');
  } catch (error) {
    throw new InputError({ source: entry.db }, `cannot open the alignment db: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    for (const file of entry.files) {
      if (file.name.includes('/') || file.name.startsWith('.')) throw new InputError({ source: entry.db }, `bad file name '${file.name}' in the index`);
      const bytes = Buffer.alloc(file.length);
      let done = 0;
      while (done < file.length) {
        const n = readSync(fd, bytes, done, file.length - done, file.start + done);
        if (n === 0) throw new InputError({ source: entry.db }, `${file.name}: bytes ${file.start}+${file.length} lie past the end of the db`);
        done += n;
      }
      writeFileSync(join(folder, file.name), bytes);
    }
  } finally {
    closeSync(fd);
  }
}
