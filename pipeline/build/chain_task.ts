// The work of one chain in `build`, run in a worker thread: parse the mmCIF,
// take the chain's metadata (OpenFold's chain_data_cache fields), apply the
// filters, compute the raw features from the mmCIF and the chain's alignments
// (pipeline/chain_features.ts: OpenFold DataPipeline.process_mmcif), run the
// deterministic transforms (features/transforms/nonensembled.ts), and return
// the dataset row with its metadata columns and content hash. Every failure
// becomes an outcome naming the stage; nothing is thrown to the pool.
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../features/errors.ts';
import { parseMmcif } from '../../features/parsers/mmcif.ts';
import type { MmcifObject } from '../../features/parsers/types.ts';
import type { FeatureDict } from '../../features/tensor.ts';
import { nonensembledTransforms } from '../../features/transforms/nonensembled.ts';
import type { PlainValue } from '../arrow/column_types.ts';
import { computeChainFeatures } from '../chain_features.ts';
import { contentHash } from '../dataset/content_hash.ts';
import { SHARD_FEATURES } from '../dataset/feature_table.ts';
import { shardRowEncoder, type ShardEntry } from '../dataset/shard_set.ts';
import type { RowEncoder } from '../arrow/row_encoder.ts';
import { TemplateSource } from '../template_source.ts';
import { extractAlignmentFiles } from './alignment_db.ts';
import type { ChainSpec } from './chain_inputs.ts';
import { addDays } from './dates.ts';
import { filterReason, type FilterOptions, type FilterReason } from './filters.ts';

export type TemplateCutoffRule = { kind: 'global'; date: string } | { kind: 'before_release'; days: number };

export interface ChainTask {
  spec: ChainSpec;
  /** From the cluster file: size, -1 when absent from it; null without a cluster file. */
  clusterSize: number | null;
  cutoff: TemplateCutoffRule;
  filters: FilterOptions;
  /** Template structures: `<pdb id>.cif` files; obsolete.dat; kalign binary. */
  templates: { mmcifDir: string; obsoletePath?: string; kalignBinary?: string };
  /** A folder this worker may use for alignment_db extraction. */
  scratchDir: string;
}

/** OpenFold's chain_data_cache.json entry. */
export interface ChainCacheEntry {
  release_date: string;
  seq: string;
  resolution: number;
  cluster_size?: number;
}

export type BuildStage = 'input' | 'mmcif' | 'features' | 'transforms' | 'row';

export type ChainOutcome =
  /** `message`: the row as an Arrow record batch message of the shard layout (shardRowEncoder). */
  | { status: 'done'; chain: string; message: Uint8Array; entry: ShardEntry; cache: ChainCacheEntry; warnings: string[] }
  | { status: 'filtered'; chain: string; reason: FilterReason; cache: ChainCacheEntry }
  | { status: 'failed'; chain: string; stage: BuildStage; message: string };

class StageError extends Error {
  constructor(
    readonly stage: BuildStage,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

async function atStage<T>(stage: BuildStage, work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof StageError ? error : new StageError(stage, error);
  }
}

const sources = new Map<string, Promise<TemplateSource>>();
/** One row encoder per worker (its schema is built once). */
let encoder: RowEncoder | null = null;

/** One template source per (folder, obsolete list) and worker, so its structure cache is shared across chains. */
function templateSource(templates: ChainTask['templates']): Promise<TemplateSource> {
  const key = `${templates.mmcifDir}\0${templates.obsoletePath ?? ''}`;
  let source = sources.get(key);
  if (source === undefined) {
    source = TemplateSource.open({ mmcifDir: templates.mmcifDir, obsoletePath: templates.obsoletePath });
    sources.set(key, source);
    source.catch(() => sources.delete(key));
  }
  return source;
}

async function readMmcif(spec: ChainSpec): Promise<MmcifObject> {
  let text: string;
  try {
    text = await readFile(spec.mmcifPath, 'utf8');
  } catch (error) {
    throw new InputError({ source: spec.mmcifPath }, `cannot read the mmCIF: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseMmcif(text, spec.pdbId, spec.mmcifPath);
}

async function templateReleaseDates(raw: FeatureDict, source: TemplateSource): Promise<{ names: string[]; dates: string[] }> {
  const names = raw.template_domain_names;
  const count = raw.template_aatype?.shape[0] ?? 0;
  if (names === undefined || names.kind !== 'string' || count === 0) return { names: [], dates: [] };
  const picked = names.values.slice(0, count);
  const dates: string[] = [];
  for (const name of picked) {
    const pdbId = name.split('_')[0]!.toLowerCase();
    const structure = await source.structure(source.obsolete.get(pdbId) ?? pdbId);
    if (structure.kind !== 'parsed') throw new Error(`template ${name}: no release date (${structure.kind} structure at ${structure.path})`);
    dates.push(structure.mmcif.header.releaseDate);
  }
  return { names: picked, dates };
}

/** Exactly the feature table's features; a missing one is an error, extras are not stored. */
function selectTableFeatures(all: FeatureDict): FeatureDict {
  const out: FeatureDict = {};
  for (const name of Object.keys(SHARD_FEATURES)) {
    const f = all[name];
    if (f === undefined) throw new Error(`the transforms gave no '${name}' (the dataset's feature table needs it)`);
    out[name] = f;
  }
  return out;
}

async function runChain(task: ChainTask): Promise<ChainOutcome> {
  const { spec } = task;
  const mmcif = await atStage('mmcif', () => readMmcif(spec));
  const sequence = await atStage('mmcif', () => {
    const s = mmcif.chainToSeqres.get(spec.chainId);
    if (s === undefined) {
      const known = [...mmcif.chainToSeqres.keys()].join(', ') || 'none';
      throw new InputError({ source: spec.mmcifPath }, `chain '${spec.chainId}' is not a protein chain of ${spec.pdbId} (protein chains: ${known})`);
    }
    if (mmcif.header.releaseDate === '') throw new InputError({ source: spec.mmcifPath }, 'the mmCIF gives no release date');
    return s;
  });
  const { releaseDate, resolution } = mmcif.header;
  const cache: ChainCacheEntry = { release_date: releaseDate, seq: sequence, resolution };
  if (task.clusterSize !== null) cache.cluster_size = task.clusterSize;
  const reason = filterReason({ sequence, resolution, releaseDate }, task.filters);
  if (reason !== null) return { status: 'filtered', chain: spec.chain, reason, cache };

  const cutoff = task.cutoff.kind === 'global' ? task.cutoff.date : addDays(releaseDate, -task.cutoff.days);
  const source = await atStage('input', () => templateSource(task.templates));
  const scratch = spec.alignment.kind === 'db' ? join(task.scratchDir, spec.chain) : null;
  let raw;
  try {
    const alignmentDir = await atStage('input', () => {
      if (spec.alignment.kind === 'dir') return spec.alignment.path;
      extractAlignmentFiles(spec.alignment.entry, scratch!);
      return scratch!;
    });
    raw = await atStage('features', () =>
      computeChainFeatures({
        input: { kind: 'mmcif', path: spec.mmcifPath, chainId: spec.chainId, parsed: mmcif },
        alignmentDir,
        msaOrder: 'sorted',
        templates: { mmcifDir: task.templates.mmcifDir, source, maxTemplateDate: cutoff, kalignBinary: task.templates.kalignBinary, zeroCenter: true },
      }),
    );
  } finally {
    if (scratch !== null) rmSync(scratch, { recursive: true, force: true });
  }
  const templates = await atStage('features', () => templateReleaseDates(raw.features, source));
  const transformed = await atStage('transforms', () => nonensembledTransforms(raw.features, { supervised: true }));
  const features = await atStage('transforms', () => selectTableFeatures(transformed));
  return atStage('row', () => {
    const columns: Record<string, PlainValue> = {
      chain_id: spec.chain,
      pdb_id: spec.pdbId,
      chain: spec.chainId,
      sequence,
      release_date: releaseDate,
      resolution_angstrom: resolution,
      template_cutoff: cutoff,
      template_release_dates: templates.dates,
      template_domain_names: templates.names,
      cluster_size: task.clusterSize,
    };
    const hash = contentHash(features, columns);
    columns.content_hash = hash;
    const entry: ShardEntry = {
      chain_id: spec.chain,
      pdb_id: spec.pdbId,
      chain: spec.chainId,
      seq_length: sequence.length,
      resolution,
      release_date: releaseDate,
      cluster_size: task.clusterSize,
      msa_depth: features.msa?.shape[0] ?? 0,
      num_templates: features.template_aatype?.shape[0] ?? 0,
      content_hash: hash,
      template_cutoff: cutoff,
      sequence,
    };
    encoder ??= shardRowEncoder();
    const message = encoder.encode(features, columns, spec.chain);
    return { status: 'done' as const, chain: spec.chain, message, entry, cache, warnings: raw.warnings };
  });
}

/** Runs one chain; never throws (bugs included: they become `failed` outcomes). */
export async function processChain(task: ChainTask): Promise<ChainOutcome> {
  try {
    return await runChain(task);
  } catch (error) {
    const stage = error instanceof StageError ? error.stage : 'features';
    return { status: 'failed', chain: task.spec.chain, stage, message: (error as Error).message };
  }
}
