// A directory of arrays in the goldens' layout (test/fixtures/golden/README.md):
// manifest.json `{"arrays": [{name, dtype, shape, file}, ...]}`, numeric
// arrays as `<name>.npy` (NPY v1.0) and string arrays as `<name>.json`
// `{"name", "dtype": "object", "shape", "values"}` with nested lists.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ParseError } from '../features/errors.ts';
import { elementCount, strings, type FeatureDict } from '../features/tensor.ts';
import { decodeNpy, encodeNpy, npyDescr } from './npy.ts';

interface ManifestEntry {
  name: string;
  dtype: string;
  shape: number[];
  file: string;
}

/** Reads every array listed in `dir/manifest.json`. */
export async function readNpyDir(dir: string): Promise<FeatureDict> {
  const manifestPath = join(dir, 'manifest.json');
  let manifest: unknown;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) throw new ParseError({ source: manifestPath }, `invalid JSON: ${e.message}`);
    throw e;
  }
  const arrays = (manifest as { arrays?: unknown }).arrays;
  if (!Array.isArray(arrays)) throw new ParseError({ source: manifestPath }, 'manifest has no "arrays" list');
  const out: FeatureDict = {};
  for (const raw of arrays as ManifestEntry[]) {
    if (typeof raw?.name !== 'string' || typeof raw.file !== 'string' || !Array.isArray(raw.shape)) {
      throw new ParseError({ source: manifestPath }, `bad manifest entry ${JSON.stringify(raw)}`);
    }
    const path = join(dir, raw.file);
    if (raw.file.endsWith('.json')) {
      const doc = JSON.parse(await readFile(path, 'utf8')) as { shape?: number[]; values?: unknown };
      const values: string[] = [];
      flattenStrings(doc.values, values, path);
      const shape = (doc.shape ?? raw.shape).map(Number);
      if (values.length !== elementCount(shape)) {
        throw new ParseError({ source: path }, `${values.length} values for shape [${shape.join(', ')}]`);
      }
      out[raw.name] = strings(shape, values);
    } else {
      const t = decodeNpy(new Uint8Array(await readFile(path)), path);
      if (t.shape.length !== raw.shape.length || t.shape.some((d, i) => d !== raw.shape[i])) {
        throw new ParseError({ source: path }, `shape [${t.shape.join(', ')}] differs from the manifest's [${raw.shape.join(', ')}]`);
      }
      out[raw.name] = t;
    }
  }
  return out;
}

function flattenStrings(value: unknown, out: string[], source: string): void {
  if (Array.isArray(value)) {
    for (const v of value) flattenStrings(v, out, source);
  } else if (typeof value === 'string') {
    out.push(value);
  } else {
    throw new ParseError({ source }, `string array holds a non-string value ${JSON.stringify(value)}`);
  }
}

function nestStrings(values: string[], shape: number[]): unknown {
  if (shape.length === 0) return values[0];
  const [first, ...rest] = shape;
  const stride = elementCount(rest);
  const out: unknown[] = [];
  for (let i = 0; i < first!; i++) out.push(nestStrings(values.slice(i * stride, (i + 1) * stride), rest));
  return out;
}

/** Writes `dict` into `dir` (created if needed) in the same layout. */
export async function writeNpyDir(dir: string, dict: FeatureDict): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries: Array<ManifestEntry & { format: string }> = [];
  for (const name of Object.keys(dict).sort()) {
    const t = dict[name]!;
    if (t.kind === 'numeric') {
      const file = `${name}.npy`;
      await writeFile(join(dir, file), encodeNpy(t));
      entries.push({ name, dtype: npyDescr(t.dtype), shape: t.shape, file, format: 'npy-v1.0' });
    } else {
      const file = `${name}.json`;
      const doc = { name, dtype: 'object', shape: t.shape, values: nestStrings(t.values, t.shape) };
      await writeFile(join(dir, file), JSON.stringify(doc));
      entries.push({ name, dtype: 'object', shape: t.shape, file, format: 'json' });
    }
  }
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ arrays: entries }, null, 1) + '\n');
}
