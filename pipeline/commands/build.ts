// `scalefold build`: the dataset build (pipeline/build/build_dataset.ts).
import { stat } from 'node:fs/promises';
import { InputError } from '../../features/errors.ts';
import { buildDataset, CHAIN_DATA_CACHE_FILE, ERRORS_FILE, SUMMARY_FILE, TEMPLATE_DAYS_BEFORE_RELEASE } from '../build/build_dataset.ts';
import { readChainList } from '../build/chain_inputs.ts';
import { isDate } from '../build/dates.ts';
import { DEFAULT_FILTERS, type FilterOptions } from '../build/filters.ts';
import { EXIT_BAD_INPUT, EXIT_OK, UsageError, optionalInteger, optionalString, parseCommandArgs, requireString, type Command } from '../cli/command.ts';
import { log, writeResult } from '../cli/log.ts';
import { INDEX_FILE } from '../dataset/index_file.ts';

const HELP = `usage: scalefold build --mmcif-dir DIR (--alignment-dir DIR | --alignment-index FILE) --out DATASET_DIR
                       [--threads N] [--max-template-date D] [--obsolete FILE] [--cluster-file FILE]
                       [--chains LIST] [--json] [filter and shard options]

Builds a training dataset: for every chain, parses its mmCIF and alignments,
computes AlphaFold's features and OpenFold's deterministic transforms in a
worker pool (one task per chain), and writes Arrow shards with a Parquet index.

inputs (OpenFold / OpenProteinSet layout):
  --mmcif-dir DIR         <pdb>.cif files: the chains' structures, and template structures
  --alignment-dir DIR     one folder {pdb}_{chain}/ per chain (a3m, sto, hhr); the folders
                          define the chains
  --alignment-index FILE  instead: OpenFold's alignment_db .index (JSON) next to its .db files
  --chains LIST           only these chains: comma-separated, or a file of names
  --obsolete FILE         the PDB's obsolete.dat (obsolete template ids are remapped)
  --cluster-file FILE     OpenFold cluster file: one cluster per line, chains separated by spaces
  --kalign PATH           kalign binary for template realignment (default: kalign on PATH)
templates:
  --max-template-date D   one global cutoff YYYY-MM-DD (OpenFold); default: each chain's
                          release date minus ${TEMPLATE_DAYS_BEFORE_RELEASE} days (MLPerf reference)
filters (OpenFold's; each counted in the summary):
  --max-resolution A      default ${DEFAULT_FILTERS.maxResolution}
  --max-single-residue-fraction F   default ${DEFAULT_FILTERS.maxSingleResidueFraction}
  --min-release-date D, --max-release-date D   inclusive bounds on the chain's release date
run:
  --threads N             worker threads (default: one per core)
  --out DATASET_DIR       the dataset folder (created; a second run resumes it)
  --shard-mb N            close a shard at this size (default 256)
  --shard-rows N          ... or at this many chains
  --checkpoint-seconds N  ... or after this long open, bounding the work a kill loses (default 120)
  --json                  print the summary as one JSON object on stdout

Output in DATASET_DIR: shards/shard-NNNNN.arrow (+ .json sidecars), ${INDEX_FILE},
${ERRORS_FILE} (one {"chain","stage","message"} per failed chain of the last run),
${CHAIN_DATA_CACHE_FILE} (OpenFold's format), ${SUMMARY_FILE}.
Running the same command again skips finished chains; a killed run (even SIGKILL)
leaves no half-written shard visible. SIGINT/SIGTERM finish the chains in flight
and commit them before exiting (a second signal quits at once).
Exit codes: 0 no chain failed, 1 some chain failed, bad input or interrupted, 2 usage error.`;

const OPTIONS = {
  'mmcif-dir': { type: 'string' },
  'alignment-dir': { type: 'string' },
  'alignment-index': { type: 'string' },
  out: { type: 'string' },
  threads: { type: 'string' },
  'max-template-date': { type: 'string' },
  obsolete: { type: 'string' },
  'cluster-file': { type: 'string' },
  chains: { type: 'string' },
  kalign: { type: 'string' },
  'max-resolution': { type: 'string' },
  'max-single-residue-fraction': { type: 'string' },
  'min-release-date': { type: 'string' },
  'max-release-date': { type: 'string' },
  'shard-mb': { type: 'string' },
  'shard-rows': { type: 'string' },
  'checkpoint-seconds': { type: 'string' },
  json: { type: 'boolean' },
} as const;

function optionalDate(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !isDate(v)) throw new UsageError(`--${name} must be a date YYYY-MM-DD, got '${String(v)}'`);
  return v;
}

function optionalNumber(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number >= 0, got '${String(v)}'`);
  return n;
}

async function requireDir(path: string, what: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info === null || !info.isDirectory()) throw new InputError({ source: path }, `${what} does not exist or is not a folder`);
}

export const buildCommand: Command = {
  name: 'build',
  summary: 'build a training dataset (Arrow shards + Parquet index) from mmCIFs and alignments',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const mmcifDir = requireString(values, 'mmcif-dir');
    const outDir = requireString(values, 'out');
    const alignmentDir = optionalString(values, 'alignment-dir');
    const alignmentIndex = optionalString(values, 'alignment-index');
    if ((alignmentDir === undefined) === (alignmentIndex === undefined)) throw new UsageError('give exactly one of --alignment-dir and --alignment-index');
    const threads = optionalInteger(values, 'threads', 1);
    const shardMb = optionalNumber(values, 'shard-mb');
    const shardRows = optionalInteger(values, 'shard-rows', 1);
    const checkpointSeconds = optionalNumber(values, 'checkpoint-seconds');
    const filters: FilterOptions = {
      maxResolution: optionalNumber(values, 'max-resolution') ?? DEFAULT_FILTERS.maxResolution,
      maxSingleResidueFraction: optionalNumber(values, 'max-single-residue-fraction') ?? DEFAULT_FILTERS.maxSingleResidueFraction,
      minReleaseDate: optionalDate(values, 'min-release-date'),
      maxReleaseDate: optionalDate(values, 'max-release-date'),
    };
    const maxTemplateDate = optionalDate(values, 'max-template-date');
    const chainsValue = optionalString(values, 'chains');
    await requireDir(mmcifDir, 'the mmCIF folder');
    if (alignmentDir !== undefined) await requireDir(alignmentDir, 'the alignment folder');
    const summary = await buildDataset({
      mmcifDir,
      alignmentDir,
      alignmentIndex,
      outDir,
      threads,
      maxTemplateDate,
      obsoletePath: optionalString(values, 'obsolete'),
      clusterFile: optionalString(values, 'cluster-file'),
      chains: chainsValue === undefined ? undefined : await readChainList(chainsValue),
      filters,
      kalignBinary: optionalString(values, 'kalign'),
      shardLimits: {
        ...(shardMb === undefined ? {} : { maxBytes: shardMb * 2 ** 20 }),
        ...(shardRows === undefined ? {} : { maxRows: shardRows }),
        ...(checkpointSeconds === undefined ? {} : { maxSeconds: checkpointSeconds }),
      },
    });
    const filteredText = Object.entries(summary.filtered).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    log(
      `build: ${summary.done} done, ${summary.skipped} skipped (finished earlier), ${summary.failed} failed, filtered: ${filteredText}; ` +
        `${summary.rows} rows in ${summary.shards} shards; ${summary.chains_per_second.toFixed(2)} chains/s over ${summary.seconds.toFixed(1)} s` +
        (summary.failed > 0 ? `; see ${summary.dataset}/${ERRORS_FILE}` : '') +
        (summary.interrupted ? '; interrupted: run the same command again to resume' : ''),
    );
    if (values.json === true) writeResult(JSON.stringify(summary));
    return summary.failed > 0 || summary.interrupted ? EXIT_BAD_INPUT : EXIT_OK;
  },
};
