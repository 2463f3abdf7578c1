// Raw AlphaFold features of one chain, with the file I/O: OpenFold's
// DataPipeline.process_fasta / process_mmcif (openfold/data/data_pipeline.py)
// and AlphaFold's pipeline.DataPipeline.process. Reads the query (FASTA, or a
// chain of an mmCIF), the MSA files of the chain's alignment folder, the
// template hits and their structures; hands everything parsed to the pure
// feature builders in features/. `build`'s workers call this too.
import { readFileSync } from 'node:fs';
import { FeatureError, InputError } from '../features/errors.ts';
import { parseA3m } from '../features/parsers/a3m.ts';
import { parseFasta } from '../features/parsers/fasta.ts';
import { parseHhr } from '../features/parsers/hhr.ts';
import { parseMmcif } from '../features/parsers/mmcif.ts';
import { speciesIdentifier } from '../features/parsers/msa_identifiers.ts';
import { parseStockholm } from '../features/parsers/stockholm.ts';
import type { MmcifObject } from '../features/parsers/types.ts';
import { dummyMsa, makeMsaFeatures, type SourcedMsa } from '../features/raw/msa_features.ts';
import { makeSequenceFeatures } from '../features/raw/sequence_features.ts';
import { chainSequence, makeMmcifFeatures } from '../features/raw/structure_features.ts';
import type { FeatureDict } from '../features/tensor.ts';
import { emptyTemplateFeatures } from '../features/templates/template_features.ts';
import { listAlignmentDir, type AlignmentFile, type MsaOrder } from './alignment_dir.ts';
import { featurizeTemplateHits, type SourcedHit, type TemplateSearchOptions } from './template_featurizer.ts';
import { TemplateSource } from './template_source.ts';

export type ChainInput =
  | { kind: 'fasta'; path: string }
  /** `parsed` skips re-reading the file when the caller already parsed it. */
  | { kind: 'mmcif'; path: string; chainId: string; parsed?: MmcifObject };

export interface TemplateRequest extends TemplateSearchOptions {
  /** Folder of `<pdb id>.cif` files; ignored when `source` is given. */
  mmcifDir: string;
  obsoletePath?: string;
  /** A shared, already opened source (its cache is reused across chains). */
  source?: TemplateSource;
}

export interface ChainFeaturesRequest {
  input: ChainInput;
  /** One chain's alignment folder; none means the query alone and no templates. */
  alignmentDir?: string;
  /** Default `af2`. */
  msaOrder?: MsaOrder;
  /** No templates request means empty template features. */
  templates?: TemplateRequest;
}

export interface ChainFeaturesInfo {
  /** Chain label: the FASTA description or `<file id>_<chain>`. */
  name: string;
  sequence: string;
  /** MSA files in the order their rows were concatenated (empty: dummy MSA). */
  msaFiles: string[];
  hitFiles: string[];
}

export interface ChainFeaturesResult {
  features: FeatureDict;
  warnings: string[];
  info: ChainFeaturesInfo;
}

/**
 * Whole-file synchronous reads: this runs once per chain in a worker thread
 * (or the one-chain CLI), where a blocking read of a small file costs less
 * than the four thread-pool round trips of an asynchronous one.
 */
function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError({ source: path }, `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

async function readQuery(input: ChainInput): Promise<{ sequence: string; name: string; features: FeatureDict }> {
  if (input.kind === 'fasta') {
    const records = parseFasta(readText(input.path), input.path);
    if (records.sequences.length !== 1) {
      throw new FeatureError({ source: input.path }, `expected exactly one sequence, found ${records.sequences.length}`);
    }
    const sequence = records.sequences[0]!;
    const name = records.descriptions[0]!;
    return { sequence, name, features: makeSequenceFeatures(sequence, name, input.path) };
  }
  const fileId = input.path.replace(/^.*\//, '').replace(/\.cif$/i, '');
  const mmcif = input.parsed ?? parseMmcif(readText(input.path), fileId, input.path);
  const sequence = chainSequence(mmcif, input.chainId, input.path);
  return { sequence, name: `${mmcif.fileId}_${input.chainId}`, features: makeMmcifFeatures(mmcif, input.chainId, input.path) };
}

function readMsa(file: AlignmentFile): SourcedMsa {
  const text = readText(file.path);
  const msa = file.format === 'a3m' ? parseA3m(text, file.path) : parseStockholm(text, file.path);
  if (msa.sequences.length === 0) throw new FeatureError({ source: file.path }, 'the MSA contains no sequence');
  return { msa, source: file.path };
}

/** Raw features of one chain (sequence, structure when from mmCIF, MSA, templates) and the skipped-hit warnings. */
export async function computeChainFeatures(request: ChainFeaturesRequest): Promise<ChainFeaturesResult> {
  const query = await readQuery(request.input);
  const warnings: string[] = [];
  const listing =
    request.alignmentDir === undefined ? null : await listAlignmentDir(request.alignmentDir, request.msaOrder ?? 'af2');

  // MSA: every MSA file in order, or OpenFold's dummy single-row MSA.
  const msas = listing === null ? [] : listing.msaFiles.map(readMsa);
  for (const { msa, source } of msas) {
    const width = msa.sequences[0]!.length;
    if (width !== query.sequence.length) {
      throw new FeatureError({ source }, `the MSA has ${width} columns but the query has ${query.sequence.length} residues`);
    }
    // AlphaFold does not check this; a different first row usually means the wrong folder.
    if (msa.sequences[0] !== query.sequence) warnings.push(`${source}: the MSA's first row differs from the query sequence`);
  }
  const msaFeatures = makeMsaFeatures(
    msas.length > 0 ? msas : [{ msa: dummyMsa(query.sequence), source: 'dummy' }],
    speciesIdentifier,
  );

  // Templates: hits of every HHR file in order, featurized from their mmCIFs
  // (OpenFold parses the hits even without a featurizer; we skip them then).
  let templateFeatures = emptyTemplateFeatures(query.sequence.length);
  const hits: SourcedHit[] = [];
  if (listing !== null && request.templates !== undefined) {
    for (const file of listing.hitFiles) {
      for (const hit of parseHhr(readText(file.path), file.path)) hits.push({ hit, source: file.path });
    }
  }
  for (const skipped of listing?.skipped ?? []) {
    if (skipped.name.startsWith('hmm_output')) warnings.push(`${request.alignmentDir}/${skipped.name}: not read: ${skipped.reason}`);
  }
  if (request.templates !== undefined && hits.length > 0) {
    const source =
      request.templates.source ??
      (await TemplateSource.open({ mmcifDir: request.templates.mmcifDir, obsoletePath: request.templates.obsoletePath }));
    const result = await featurizeTemplateHits(query.sequence, hits, source, request.templates);
    templateFeatures = result.features;
    warnings.push(...result.warnings);
  }

  return {
    features: { ...query.features, ...msaFeatures, ...templateFeatures },
    warnings,
    info: {
      name: query.name,
      sequence: query.sequence,
      msaFiles: listing?.msaFiles.map((f) => f.name) ?? [],
      hitFiles: listing?.hitFiles.map((f) => f.name) ?? [],
    },
  };
}
