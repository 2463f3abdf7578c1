// `scalefold build`: chains -> a piscina pool (one task per chain) -> Arrow
// shards + Parquet index + errors.jsonl + chain_data_cache.json + summary.
// Resumable: chains in committed shards are skipped; a killed run leaves no
// visible half-written file (pipeline/dataset/shard_set.ts).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import { InputError } from '../../features/errors.ts';
import { isTemporaryName, writeFileDurably } from '../arrow/durable_file.ts';
import { FEATURE_CONFIG_KEY, SCHEMA_VERSION, SCHEMA_VERSION_KEY } from '../dataset/feature_table.ts';
import { DEFAULT_SHARD_LIMITS, scanShards, ShardSetWriter, type ShardLimits } from '../dataset/shard_set.ts';
import { discoverChains, readClusterFile, type ChainSpec } from './chain_inputs.ts';
import type { ChainCacheEntry, ChainOutcome, ChainTask, TemplateCutoffRule } from './chain_task.ts';
import { DEFAULT_FILTERS, type FilterOptions } from './filters.ts';
import { ERRORS_FILE, ErrorLog, writeDatasetIndex } from './dataset_outputs.ts';
import { Progress } from './progress.ts';

export { CHAIN_DATA_CACHE_FILE, ERRORS_FILE } from './dataset_outputs.ts';
export const SUMMARY_FILE = 'summary.json';
const LOCK_FILE = 'build.lock';
/** MLPerf HPC OpenFold reference: templates released up to 60 days before the chain. */
export const TEMPLATE_DAYS_BEFORE_RELEASE = 60;

export interface BuildOptions {
  mmcifDir: string;
  alignmentDir?: string;
  /** OpenFold alignment_db `.index` file (instead of alignmentDir). */
  alignmentIndex?: string;
  outDir: string;
  threads?: number;
  /** One global template cutoff (OpenFold); default: each chain's release date minus 60 days (MLPerf). */
  maxTemplateDate?: string;
  obsoletePath?: string;
  clusterFile?: string;
  chains?: readonly string[];
  filters?: FilterOptions;
  shardLimits?: Partial<ShardLimits>;
  kalignBinary?: string;
  /** Where progress goes; default stderr. */
  progress?: Progress;
}

export interface BuildSummary {
  /** Chains finished by this run. */
  done: number;
  /** Chains finished by earlier runs (skipped). */
  skipped: number;
  /** Filter name -> chains dropped by it in this run. */
  filtered: Record<string, number>;
  failed: number;
  /** Chains covered by the build (alignments, restricted by --chains). */
  total: number;
  shards: number;
  rows: number;
  seconds: number;
  chains_per_second: number;
  /** Seconds from starting the pool to the first outcome (worker start-up included). */
  first_result_seconds: number;
  /** Chains per second between the first and the last outcome (start-up excluded). */
  steady_chains_per_second: number;
  /** CPU time of the whole process (all threads, user + system), seconds. */
  cpu_seconds: number;
  warnings: number;
  /** True when SIGINT/SIGTERM stopped the run early (what finished is committed; run again to resume). */
  interrupted: boolean;
  dataset: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function takeLock(outDir: string): () => void {
  const path = join(outDir, LOCK_FILE);
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new InputError({ source: outDir }, `another build (pid ${pid}) is writing this dataset; remove ${path} if that is wrong`);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
  }
  writeFileSync(path, `${process.pid}\n`);
  return () => rmSync(path, { force: true });
}

export async function buildDataset(options: BuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const releaseLock = takeLock(outDir);
  const progress = options.progress ?? new Progress();
  try {
    return await runBuild(options, outDir, progress, started);
  } finally {
    releaseLock();
  }
}

async function runBuild(options: BuildOptions, outDir: string, progress: Progress, started: number): Promise<BuildSummary> {
  const threads = options.threads ?? availableParallelism();
  const filters = options.filters ?? DEFAULT_FILTERS;
  const limits: ShardLimits = { ...DEFAULT_SHARD_LIMITS, ...options.shardLimits };
  const cutoff: TemplateCutoffRule =
    options.maxTemplateDate !== undefined ? { kind: 'global', date: options.maxTemplateDate } : { kind: 'before_release', days: TEMPLATE_DAYS_BEFORE_RELEASE };
  const featureConfig = JSON.stringify({ transforms: 'openfold_nonensembled_train', msa_order: 'sorted', template_cutoff: cutoff, filters });

  // Temporaries of an earlier run killed while writing the index or the cache.
  for (const name of readdirSync(outDir)) if (isTemporaryName(name)) rmSync(join(outDir, name), { force: true });
  const scan = scanShards(outDir);
  for (const name of scan.removedTemporaries) progress.log(`removed unfinished ${name} of an earlier run`);
  for (const name of scan.recovered) progress.log(`recovered ${name} (its sidecar was missing)`);
  for (const { name, message } of scan.unreadable) progress.log(`cannot read ${name}: ${message}; its chains are redone`);
  // Resuming with another schema or other options would mix two datasets in one.
  for (const shard of scan.shards) {
    const version = shard.metadata.get(SCHEMA_VERSION_KEY);
    const config = shard.metadata.get(FEATURE_CONFIG_KEY);
    if (version !== SCHEMA_VERSION || config !== featureConfig) {
      throw new InputError(
        { source: join(outDir, 'shards', shard.name) },
        version !== SCHEMA_VERSION
          ? `built with schema version ${version ?? 'none'}, this build writes ${SCHEMA_VERSION}: build into a new --out folder`
          : `built with other options (${config ?? 'none'}; now ${featureConfig}): build into a new --out folder, or rerun with the same options`,
      );
    }
  }
  const finished = scan.finished;

  const discovery = await discoverChains({
    mmcifDir: options.mmcifDir,
    alignmentDir: options.alignmentDir,
    alignmentIndex: options.alignmentIndex,
    only: options.chains,
  });
  const clusterSizes = options.clusterFile === undefined ? null : await readClusterFile(options.clusterFile);
  const errors = new ErrorLog(join(outDir, ERRORS_FILE));
  for (const r of discovery.rejected) errors.add(r.chain, 'input', r.message);

  const todo: ChainSpec[] = discovery.chains.filter((c) => !finished.has(c.chain));
  const total = discovery.chains.length + discovery.rejected.length;
  const skipped = discovery.chains.length - todo.length;
  const filtered: Record<string, number> = {};
  // Chain cache entries of filtered chains; those of built chains are in the shard sidecars.
  const filteredCache = new Map<string, ChainCacheEntry>();
  let done = 0;
  let warnings = 0;
  const counts = () => ({ finished: skipped + done + errors.count + sum(filtered), total, failed: errors.count, filtered: sum(filtered) });

  const shardNames = scan.shards.map((s) => s.name);
  const shards = new ShardSetWriter(
    outDir,
    scan.shards.map((s) => s.name),
    limits,
    { [FEATURE_CONFIG_KEY]: featureConfig },
    (name, rows) => {
      shardNames.push(name);
      progress.log(`committed ${name}: ${rows.length} chains (${skipped + done}/${total} finished)`);
    },
  );

  const scratchDir = join(outDir, '.scratch');
  const pool = new Piscina({
    filename: new URL('./chain_worker_entry.mjs', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
    execArgv: [],
    idleTimeout: 60_000,
  });
  const ticker = setInterval(() => {
    shards.tick();
    progress.update(counts());
  }, 1000);

  const poolStarted = performance.now();
  let firstOutcome = -1;
  let lastOutcome = -1;
  let outcomes = 0;
  const handle = (outcome: ChainOutcome): void => {
    lastOutcome = performance.now();
    if (firstOutcome < 0) firstOutcome = lastOutcome;
    outcomes += 1;
    if (outcome.status === 'failed') {
      errors.add(outcome.chain, outcome.stage, outcome.message);
    } else if (outcome.status === 'filtered') {
      filtered[outcome.reason] = (filtered[outcome.reason] ?? 0) + 1;
      filteredCache.set(outcome.chain, outcome.cache);
    } else {
      try {
        shards.append(outcome.message, outcome.entry);
      } catch (error) {
        errors.add(outcome.chain, 'row', (error as Error).message);
        return;
      }
      done += 1;
      warnings += outcome.warnings.length;
    }
    progress.update(counts());
  };

  // SIGINT/SIGTERM: stop submitting, finish the chains in flight, commit, write the index.
  // A second signal ends the process at once (the default action).
  let interrupted = false;
  const stop = (signal: NodeJS.Signals): void => {
    interrupted = true;
    progress.log(`${signal}: finishing the chains in flight, then committing (send it again to quit at once)`);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    // Bounded submission: a few tasks per thread in flight, results handled as they come.
    const inFlight = new Set<Promise<void>>();
    for (const spec of todo) {
      if (interrupted) break;
      const task: ChainTask = {
        spec,
        clusterSize: clusterSizes === null ? null : (clusterSizes.get(spec.chain.toUpperCase()) ?? -1),
        cutoff,
        filters,
        templates: { mmcifDir: options.mmcifDir, obsoletePath: options.obsoletePath, kalignBinary: options.kalignBinary },
        scratchDir,
      };
      const p: Promise<void> = (pool.run(task) as Promise<ChainOutcome>)
        .then(handle, (error: unknown) => errors.add(spec.chain, 'features', `worker failed: ${(error as Error).message}`))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= threads * 2) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    shards.close();
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    clearInterval(ticker);
    await pool.destroy();
    errors.close();
    rmSync(scratchDir, { recursive: true, force: true });
  }
  progress.finish(counts());

  const rows = await writeDatasetIndex(outDir, shardNames, filteredCache, { [SCHEMA_VERSION_KEY]: SCHEMA_VERSION, [FEATURE_CONFIG_KEY]: featureConfig });

  const seconds = (performance.now() - started) / 1000;
  const summary: BuildSummary = {
    done,
    skipped,
    filtered,
    failed: errors.count,
    total,
    shards: shardNames.length,
    rows,
    seconds,
    chains_per_second: done / Math.max(seconds, 1e-9),
    first_result_seconds: firstOutcome < 0 ? 0 : (firstOutcome - poolStarted) / 1000,
    steady_chains_per_second: outcomes > 1 ? ((outcomes - 1) * 1000) / Math.max(lastOutcome - firstOutcome, 1e-9) : 0,
    cpu_seconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    warnings,
    interrupted,
    dataset: outDir,
  };
  writeFileDurably(join(outDir, SUMMARY_FILE), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

function sum(record: Record<string, number>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}
