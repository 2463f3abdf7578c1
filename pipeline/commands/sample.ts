// `scalefold sample`: runs the per-step (ensembled) transforms on one row of a
// feature file (written by `features --transforms nonensembled`, or a shard
// row) and writes the resulting training example as a one-row Arrow file:
// a user's way to see what the trainer is fed (features/batch_table.ts; the
// recycling axis comes first).
import { openInputFeatureFile } from '../cli/input_feature_file.ts';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FeatureError, InputError } from '../../features/errors.ts';
import { perStepTransforms } from '../../features/transforms/ensembled/per_step.ts';
import { perStepConfig, type PerStepConfig } from '../../features/transforms/config.ts';
import { writeFeatureFile } from '../arrow/index.ts';
import type { FeatureDict, NumericTensor } from '../../features/tensor.ts';
import { EXIT_OK, UsageError, optionalInteger, parseCommandArgs, requireString, type Command } from '../cli/command.ts';
import { log, writeResult } from '../cli/log.ts';

export const SAMPLE_METADATA = {
  source: 'scalefold:sample_source',
  row: 'scalefold:sample_row',
  seed: 'scalefold:sample_seed',
  randomness: 'scalefold:sample_randomness',
} as const;

const HELP = `usage: scalefold sample FILE.arrow [--row N] --seed S [--passes P] [--crop-size N] --out OUT.arrow
       scalefold sample FILE.arrow [--row N] --no-randomness --out OUT.arrow

Runs the per-step training transforms (initial-training preset: block deletion,
MSA cluster sampling, BERT masking, nearest-neighbour clustering, extra MSA,
msa_feat/target_feat, crop to 256 residues, padding to 124 clusters / 1024
extra rows / 4 templates, 1-4 forward passes) on one row of FILE.arrow and
writes the batch as a one-row Arrow file (recycling axis first).

  FILE.arrow        output of 'features --transforms nonensembled', or a shard
  --row N           row of FILE.arrow (default 0)
  --seed S          the sample's seed (integer >= 0); same seed, same output
  --no-randomness   identity MSA sampling, no block deletion, no masking, crop
                    at residue 0, templates in order, one pass
  --passes P        forward passes 1..4 (default: uniform in 1..4)
  --crop-size N     residues after crop and padding (default 256)
  --out OUT.arrow   the output file`;

function readRow(path: string, row: number): FeatureDict {
  const file = openInputFeatureFile(path);
  try {
    if (row >= file.numRows) throw new InputError({ source: path }, `row ${row} does not exist (the file has ${file.numRows} rows)`);
    const transforms = file.metadata.get('scalefold:transforms');
    const features = file.row(row).features;
    if (transforms === 'raw' || features['hhblits_profile'] === undefined) {
      throw new FeatureError({ source: path }, 'the row holds raw features; the per-step transforms need the output of `features --transforms nonensembled` (or a shard)');
    }
    return features;
  } finally {
    file.close();
  }
}

export const sampleCommand: Command = {
  name: 'sample',
  summary: 'per-step training transforms on one feature-file row -> the training example (Arrow)',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const parsed = parseCommandArgs(args, {
      row: { type: 'string' },
      seed: { type: 'string' },
      'no-randomness': { type: 'boolean' },
      passes: { type: 'string' },
      'crop-size': { type: 'string' },
      out: { type: 'string' },
    }, true);
    if (parsed.help) {
      writeResult(HELP);
      return EXIT_OK;
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('expected exactly one input FILE.arrow');
    const input = positionals[0]!;
    const out = requireString(values, 'out');
    const row = optionalInteger(values, 'row', 0) ?? 0;
    const randomness = values['no-randomness'] !== true;
    const seed = optionalInteger(values, 'seed', 0);
    if (randomness && seed === undefined) throw new UsageError('--seed S is required (or --no-randomness)');
    if (seed !== undefined && !Number.isSafeInteger(seed)) throw new UsageError('--seed must be below 2^53');
    const overrides: Partial<PerStepConfig> = {};
    const passes = optionalInteger(values, 'passes', 1);
    if (passes !== undefined) {
      if (passes > 4) throw new UsageError('--passes must be 1..4');
      if (!randomness) throw new UsageError('--no-randomness runs exactly one pass; drop --passes');
      overrides.passes = passes;
    }
    const cropSize = optionalInteger(values, 'crop-size', 1);
    if (cropSize !== undefined) overrides.cropSize = cropSize;

    const features = readRow(input, row);
    const batch = perStepTransforms(features, { seed: seed ?? 0, randomness, config: perStepConfig(overrides) });
    try {
      await mkdir(dirname(out), { recursive: true });
      await writeFeatureFile(out, [batch], {
        metadata: {
          [SAMPLE_METADATA.source]: input,
          [SAMPLE_METADATA.row]: String(row),
          [SAMPLE_METADATA.seed]: seed === undefined ? '' : String(seed),
          [SAMPLE_METADATA.randomness]: String(randomness),
        },
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== undefined) throw new InputError({ source: out }, `cannot write the output file: ${code}`);
      throw error;
    }
    const passesDone = batch['aatype']!.shape[0]!;
    log(`scalefold sample: ${input} row ${row}: ${passesDone} pass(es), seq_length ${((batch['seq_length'] as NumericTensor).data as BigInt64Array)[0]}`);
    writeResult(out);
    return EXIT_OK;
  },
};
