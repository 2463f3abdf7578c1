// Why a template hit gave no template. AlphaFold/OpenFold split these into
// prefilter rejections (silent), "warnings" (missing experimental data) and
// "errors" (alignment problems); none of them stops the chain, and we report
// every one of them in the chain's warnings.

export type TemplateSkipKind =
  /** `_assess_hhsearch_hit`: release date, align ratio, duplicate, length. */
  | 'prefilter'
  /** The hit name does not start with `<pdb id>_<chain>`. */
  | 'bad_hit_name'
  /** The template's mmCIF is not in the mmCIF folder. */
  | 'missing_mmcif'
  /** The template's mmCIF is released after the max template date. */
  | 'date'
  /** NoChainsError: the mmCIF did not parse or has no protein chain. */
  | 'no_chains'
  /** QueryToTemplateAlignError: realignment to the mmCIF sequence failed. */
  | 'realign'
  /** NoAtomDataInTemplateError: chain missing from the structure, or CA-CA > 150 Å. */
  | 'no_atom_data'
  /** TemplateAtomMaskAllZerosError: fewer than 5 atoms resolved on the aligned part. */
  | 'mask_all_zeros'
  /** The hit maps onto residues the template does not have, or letters outside the alphabet. */
  | 'bad_mapping'
  /** Same template_sequence as an earlier accepted template. */
  | 'duplicate_template';

export class TemplateSkip extends Error {
  readonly kind: TemplateSkipKind;

  constructor(kind: TemplateSkipKind, message: string) {
    super(message);
    this.name = 'TemplateSkip';
    this.kind = kind;
  }
}
