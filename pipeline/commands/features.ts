// `scalefold features`: raw AlphaFold features of one chain (a FASTA query or a
// chain of an mmCIF, with its alignment folder and template hits), optionally
// after the non-ensembled transforms, written as a one-row Arrow IPC file.
// Skipped template hits are warnings: on stderr and in the file's metadata.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '../../features/errors.ts';
import type { FeatureDict } from '../../features/tensor.ts';
import { nonensembledTransforms } from '../../features/transforms/nonensembled.ts';
import { writeFeatureFile, type FeatureFileOptions } from '../arrow/index.ts';
import { MSA_ORDERS, type MsaOrder } from '../alignment_dir.ts';
import { computeChainFeatures, type ChainFeaturesRequest, type ChainInput } from '../chain_features.ts';
import {
  EXIT_OK,
  UsageError,
  optionalInteger,
  optionalString,
  parseCommandArgs,
  requireString,
  type Command,
} from '../cli/command.ts';
import { log, writeResult } from '../cli/log.ts';

/** Schema metadata keys of a `features` output file. */
export const FEATURES_METADATA = {
  warnings: 'scalefold:warnings',
  chain: 'scalefold:chain',
  msaFiles: 'scalefold:msa_files',
  transforms: 'scalefold:transforms',
} as const;

const HELP = `usage: scalefold features --fasta FILE --alignments DIR [template options] [--msa-order af2|sorted]
                          [--transforms raw|nonensembled] --out FILE.arrow
       scalefold features --mmcif FILE --chain ID [--alignments DIR] [template options] [--msa-order af2|sorted]
                          [--transforms raw|nonensembled] --out FILE.arrow

Computes AlphaFold's raw features of one chain, as AlphaFold/OpenFold's data
pipeline does (process_fasta / process_mmcif), and writes them as a one-row
Arrow IPC file under OpenFold's feature keys.

input (exactly one):
  --fasta FILE           a FASTA file with one query sequence
  --mmcif FILE           an mmCIF file; --chain ID names the author chain id
alignments:
  --alignments DIR       the chain's alignment folder: every *.a3m and *.sto except
                         uniprot_hits.* and hmm_output.* feed the MSA; *.hhr give template
                         hits. Without it (mmCIF only) the MSA is the query alone.
  --msa-order ORDER      af2 (default): uniref90, bfd, mgnify, then others by name;
                         sorted: OpenFold's (sorted) directory listing
templates (without --mmcif-dir the template arrays have a leading dimension of 0):
  --mmcif-dir DIR        folder of <pdb id>.cif template structures
  --max-template-date D  YYYY-MM-DD, required with --mmcif-dir
  --obsolete FILE        the PDB's obsolete.dat (obsolete ids are remapped)
  --zero-center-templates  centre template coordinates (OpenFold's default; AlphaFold's is off)
  --max-hits N           distinct templates to keep (default 20)
  --kalign PATH          kalign binary (default: kalign on PATH; Debian package 'kalign')
output:
  --transforms T         raw (default) or nonensembled (OpenFold's deterministic transforms;
                         supervised for an mmCIF chain)
  --out FILE.arrow       the output file

Skipped template hits (missing mmCIF, failed filter) are reported on stderr and
in the file's metadata key '${FEATURES_METADATA.warnings}' (a JSON list); they are not fatal.
Exit codes: 0 success, 1 bad input (message names the file), 2 usage error.`;

const OPTIONS = {
  fasta: { type: 'string' },
  mmcif: { type: 'string' },
  chain: { type: 'string' },
  alignments: { type: 'string' },
  'msa-order': { type: 'string' },
  'mmcif-dir': { type: 'string' },
  'max-template-date': { type: 'string' },
  obsolete: { type: 'string' },
  'zero-center-templates': { type: 'boolean' },
  'max-hits': { type: 'string' },
  kalign: { type: 'string' },
  transforms: { type: 'string' },
  out: { type: 'string' },
} as const;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The request and output options of a `features` command line (usage errors thrown). */
export function parseFeaturesArgs(args: string[]): { request: ChainFeaturesRequest; out: string; transforms: 'raw' | 'nonensembled' } | null {
  const { values, help } = parseCommandArgs(args, OPTIONS);
  if (help) return null;
  const fasta = optionalString(values, 'fasta');
  const mmcif = optionalString(values, 'mmcif');
  const chain = optionalString(values, 'chain');
  if ((fasta === undefined) === (mmcif === undefined)) throw new UsageError('give exactly one of --fasta and --mmcif');
  let input: ChainInput;
  if (fasta !== undefined) {
    if (chain !== undefined) throw new UsageError('--chain goes with --mmcif, not --fasta');
    input = { kind: 'fasta', path: fasta };
  } else {
    if (chain === undefined || chain.length === 0) throw new UsageError('--mmcif needs --chain ID');
    input = { kind: 'mmcif', path: mmcif!, chainId: chain };
  }
  const alignmentDir = optionalString(values, 'alignments');
  if (fasta !== undefined && alignmentDir === undefined) throw new UsageError('--fasta needs --alignments DIR');
  const msaOrder = (optionalString(values, 'msa-order') ?? 'af2') as MsaOrder;
  if (!MSA_ORDERS.includes(msaOrder)) throw new UsageError(`--msa-order must be one of ${MSA_ORDERS.join(', ')}, got '${msaOrder}'`);
  const transforms = optionalString(values, 'transforms') ?? 'raw';
  if (transforms !== 'raw' && transforms !== 'nonensembled') throw new UsageError(`--transforms must be raw or nonensembled, got '${transforms}'`);

  const mmcifDir = optionalString(values, 'mmcif-dir');
  const maxTemplateDate = optionalString(values, 'max-template-date');
  const obsoletePath = optionalString(values, 'obsolete');
  const zeroCenter = values['zero-center-templates'] === true;
  const maxHits = optionalInteger(values, 'max-hits', 1);
  const kalignBinary = optionalString(values, 'kalign');
  const request: ChainFeaturesRequest = { input, alignmentDir, msaOrder };
  if (mmcifDir !== undefined) {
    if (maxTemplateDate === undefined) throw new UsageError('--mmcif-dir needs --max-template-date YYYY-MM-DD');
    if (!DATE.test(maxTemplateDate)) throw new UsageError(`--max-template-date must be YYYY-MM-DD, got '${maxTemplateDate}'`);
    request.templates = { mmcifDir, maxTemplateDate, obsoletePath, zeroCenter, maxHits, kalignBinary };
  } else if (maxTemplateDate !== undefined || obsoletePath !== undefined || zeroCenter || maxHits !== undefined || kalignBinary !== undefined) {
    throw new UsageError('template options need --mmcif-dir DIR');
  }
  return { request, out: requireString(values, 'out'), transforms };
}

/** Writes the file, creating its folder; a file-system failure is an InputError naming the path. */
async function writeOutput(out: string, rows: FeatureDict[], options: FeatureFileOptions): Promise<void> {
  try {
    await mkdir(dirname(out), { recursive: true });
    await writeFeatureFile(out, rows, options);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) throw new InputError({ source: out }, `cannot write the output file: ${code}`);
    throw error;
  }
}

export const featuresCommand: Command = {
  name: 'features',
  summary: 'raw AlphaFold features of one chain (FASTA or mmCIF chain + alignments) -> Arrow file',
  help: HELP,
  async run(args: string[]): Promise<number> {
    const parsed = parseFeaturesArgs(args);
    if (parsed === null) {
      writeResult(HELP);
      return EXIT_OK;
    }
    const { request, out, transforms } = parsed;
    const result = await computeChainFeatures(request);
    for (const warning of result.warnings) log(`scalefold features: warning: ${warning}`);
    const features =
      transforms === 'nonensembled'
        ? nonensembledTransforms(result.features, { supervised: request.input.kind === 'mmcif' })
        : result.features;
    await writeOutput(out, [features], {
      metadata: {
        [FEATURES_METADATA.warnings]: JSON.stringify(result.warnings),
        [FEATURES_METADATA.chain]: result.info.name,
        [FEATURES_METADATA.msaFiles]: JSON.stringify(result.info.msaFiles),
        [FEATURES_METADATA.transforms]: transforms,
      },
    });
    const msa = result.features['msa']!;
    const templates = result.features['template_aatype']!;
    log(
      `scalefold features: ${result.info.name}: ${result.info.sequence.length} residues, ${msa.shape[0]} MSA rows, ` +
        `${templates.shape[0]} templates, ${result.warnings.length} warnings`,
    );
    writeResult(out);
    return EXIT_OK;
  },
};
