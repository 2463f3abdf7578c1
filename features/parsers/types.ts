// What the parsers return. Parsers are pure: they take the text (or bytes) and
// a `source` label used in error messages, and never touch the file system.

/** FASTA: records in file order. */
export interface FastaRecords {
  sequences: string[];
  descriptions: string[];
}

/**
 * An MSA as AlphaFold's parsers return it: aligned sequences of the query's
 * length (insertions removed), and per row the number of deleted (inserted)
 * residues before each column.
 */
export interface Msa {
  sequences: string[];
  /** One row per sequence, one count per aligned column. */
  deletionMatrix: Int32Array[];
  descriptions: string[];
}

/** One template hit of an HHR file (AlphaFold's TemplateHit). */
export interface TemplateHit {
  /** 1-based hit number in the file. */
  index: number;
  /** The hit's name line, e.g. `3U8V_A ...`. */
  name: string;
  alignedCols: number;
  sumProbs: number | null;
  /** Query part of the alignment, gaps included. */
  query: string;
  /** Hit part of the alignment, gaps included. */
  hitSequence: string;
  /** For each alignment column, the 0-based query residue index or -1 at a gap. */
  indicesQuery: number[];
  /** For each alignment column, the 0-based hit residue index or -1 at a gap. */
  indicesHit: number[];
}

export interface MmcifAtom {
  /** Atom name (`_atom_site.label_atom_id`), SE of MSE already renamed SD. */
  name: string;
  element: string;
  x: number;
  y: number;
  z: number;
  occupancy: number;
  bFactor: number;
}

/** A residue of the first model, atoms already chosen among alternate locations. */
export interface MmcifResidue {
  /** 3-letter name; MSE is read as MET. */
  name: string;
  /** Author residue number and insertion code. */
  residueNumber: number;
  insertionCode: string;
  /** ' ' for polymer residues, 'H_<name>' for hetero residues, 'W' for water (Biopython's flag). */
  hetflag: string;
  atoms: MmcifAtom[];
}

/** One SEQRES position of a chain: the residue there, or missing. */
export interface SeqresPosition {
  /** 3-letter name from the SEQRES (`_entity_poly_seq`), MSE read as MET. */
  name: string;
  isMissing: boolean;
  /** The resolved residue, when not missing. */
  residue: MmcifResidue | null;
}

export interface MmcifHeader {
  /** `_exptl.method` values joined by ',' in lower case (AlphaFold's `structure_method`). */
  structureMethod: string;
  /** YYYY-MM-DD, as AlphaFold defines it (first revision date). */
  releaseDate: string;
  /** Å; 0 when none of the fallbacks give one. */
  resolution: number;
}

export interface MmcifObject {
  fileId: string;
  header: MmcifHeader;
  /** Author chain id -> one-letter SEQRES sequence (unknown -> 'X'). Protein chains only. */
  chainToSeqres: Map<string, string>;
  /** Author chain id -> one entry per SEQRES position. */
  seqresToStructure: Map<string, SeqresPosition[]>;
  /** Author chain id -> label (`label_asym_id`) chain id. */
  authorToLabelChain: Map<string, string>;
}

/**
 * Incremental (line-oriented) MSA parser: A3mReader and StockholmReader.
 * Feed text chunks with `push` (or numbered lines with `pushLine`), then
 * `finish` returns the Msa; parse errors are thrown where the defect is met.
 */
export interface MsaReader {
  push(chunk: string): void;
  pushLine(line: string, lineNumber: number): void;
  finish(): Msa;
}
