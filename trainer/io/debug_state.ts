// Reading a "debug state" folder (test/fixtures/golden/model_tiny/ layout):
// manifest.json lists arrays with a `group` (input / param / output / loss /
// grad), a `name` unique within its group, and an NPY v1.0 `file`; beside
// it config.json holds OpenFold's config as dotted keys (`flat_config`).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NumericTensor } from '../../features/tensor.ts';
import { decodeNpy } from '../../pipeline/npy.ts';

export type DebugGroup = 'input' | 'param' | 'output' | 'loss' | 'grad';

export interface DebugManifestEntry {
  name: string;
  group: DebugGroup;
  dtype: string;
  shape: number[];
  file: string;
}

export interface DebugState {
  dir: string;
  /** group -> name -> tensor, each group in manifest order. */
  groups: Map<DebugGroup, Map<string, NumericTensor>>;
  flatConfig: Record<string, unknown>;
}

export async function readDebugManifest(dir: string): Promise<DebugManifestEntry[]> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { arrays?: DebugManifestEntry[] };
  if (!Array.isArray(manifest.arrays)) throw new Error(`${dir}/manifest.json: no 'arrays' list`);
  return manifest.arrays;
}

/** Reads the groups asked for (default: all) and the flat config. */
export async function readDebugState(dir: string, only?: readonly DebugGroup[]): Promise<DebugState> {
  const entries = await readDebugManifest(dir);
  const groups = new Map<DebugGroup, Map<string, NumericTensor>>();
  for (const e of entries) {
    if (only && !only.includes(e.group)) continue;
    const t = decodeNpy(new Uint8Array(await readFile(join(dir, e.file))), join(dir, e.file));
    if (t.shape.join(',') !== e.shape.join(',')) {
      throw new Error(`${dir}/${e.file}: shape [${t.shape}] differs from the manifest's [${e.shape}]`);
    }
    let g = groups.get(e.group);
    if (!g) groups.set(e.group, (g = new Map()));
    if (g.has(e.name)) throw new Error(`${dir}/manifest.json: duplicate (${e.group}, ${e.name})`);
    g.set(e.name, t);
  }
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { flat_config?: Record<string, unknown> };
  return { dir, groups, flatConfig: config.flat_config ?? {} };
}

/** One group's tensors (an empty map when the folder has none). */
export function debugGroup(state: DebugState, group: DebugGroup): Map<string, NumericTensor> {
  return state.groups.get(group) ?? new Map();
}
