// `scalefold validate DATASET_DIR`: offline validation of a built dataset
// (pipeline/validate/validate_dataset.ts).
import { stat } from 'node:fs/promises';
import { InputError } from '../../features/errors.ts';
import { EXIT_BAD_INPUT, EXIT_OK, UsageError, optionalInteger, parseCommandArgs, type Command } from '../cli/command.ts';
import { log, writeResult } from '../cli/log.ts';
import { DEFECT_KINDS } from '../validate/defects.ts';
import { validateDataset } from '../validate/validate_dataset.ts';

const HELP = `usage: scalefold validate DATASET_DIR [--threads N] [--json]

Reads every shard and the index of a dataset made by 'scalefold build' and
checks: Arrow file integrity (truncated or corrupt shards), schema and schema
version, every feature's shape (against the feature table and the chain's
length) and dtype, NaN/Inf, value ranges (residue and MSA tokens, masks),
the MSA's first row against the sequence, coordinates where the mask says an
atom is, template release dates against the row's cutoff (leakage), content
hashes, duplicate chains, and the index against the shards.

  --threads N  worker threads checking shards in parallel (default: one per core)
  --json       print {"ok": bool, "defects": [{"kind", "shard", "chain", "message"}, ...]} on stdout

defect kinds:
${Object.entries(DEFECT_KINDS).map(([k, v]) => `  ${k.padEnd(24)} ${v}`).join('\n')}

Exit codes: 0 clean, 1 defects found, 2 usage error.`;

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check a built dataset: shards, schema, shapes, values, leakage, index',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: 'boolean' }, threads: { type: 'string' } }, true);
    const threads = optionalInteger(values, 'threads', 1);
    if (positionals.length !== 1) throw new UsageError('give exactly one DATASET_DIR');
    const dir = positionals[0]!;
    const info = await stat(dir).catch(() => null);
    if (info === null || !info.isDirectory()) throw new InputError({ source: dir }, 'the dataset folder does not exist or is not a folder');
    const report = await validateDataset(dir, { threads });
    const gb = report.bytes / 1e9;
    log(`validate: ${report.shards} shards, ${report.rows} rows, ${gb.toFixed(3)} GB in ${report.seconds.toFixed(2)} s (${(gb / Math.max(report.seconds, 1e-9)).toFixed(3)} GB/s)`);
    if (report.ok) log('validate: clean, no defects');
    else {
      const byKind = new Map<string, number>();
      for (const d of report.defects) byKind.set(d.kind, (byKind.get(d.kind) ?? 0) + 1);
      log(`validate: ${report.defects.length} defects (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')})`);
      for (const d of report.defects.slice(0, 50)) log(`  ${d.kind}  ${d.shard || '-'}  ${d.chain || '-'}  ${d.message}`);
      if (report.defects.length > 50) log(`  ... ${report.defects.length - 50} more (use --json for all)`);
    }
    if (values.json === true) writeResult(JSON.stringify({ ok: report.ok, defects: report.defects }));
    return report.ok ? EXIT_OK : EXIT_BAD_INPUT;
  },
};
