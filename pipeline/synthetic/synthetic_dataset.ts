// Synthetic-but-valid build inputs for scale tests and benchmarks only
// (correctness tests use the real fixtures): mmCIF entries of 1-4 identical
// protein chains laid along an ideal alpha helix (N, CA, C, O, CB per
// residue, CA-CA 3.8 Å), and per chain an alignment folder with an a3m whose
// query is the chain's sequence and whose other rows are mutated copies with
// gaps and insertions. Chain lengths and MSA depths are drawn log-normally
// (the shape of the PDB's and OpenProteinSet's distributions; the medians are
// parameters, scaled down by default so a 2,000-chain bench stays short).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESTYPES, RESTYPE_1TO3 } from '../../features/residue_constants.ts';

export interface SyntheticOptions {
  chains: number;
  seed: number;
  /** Median chain length (residues) and clip bounds. */
  lengthMedian: number;
  lengthMin: number;
  lengthMax: number;
  /** Median MSA depth (query included) and its upper bound. */
  depthMedian: number;
  depthMax: number;
}

export const DEFAULT_SYNTHETIC: SyntheticOptions = { chains: 2000, seed: 1, lengthMedian: 120, lengthMin: 30, lengthMax: 500, depthMedian: 48, depthMax: 1024 };

/** mulberry32: a small seeded generator (the generator is the only randomness here). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function logNormal(random: () => number, median: number, sigma: number): number {
  const u = Math.max(random(), 1e-12);
  const v = random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return median * Math.exp(sigma * z);
}

function clampInt(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.round(x)));
}

const BACKBONE: readonly [string, string, number, number, number][] = [
  // atom, element, radius offset (Å), angle offset (rad), rise offset (Å) relative to CA on an ideal helix
  ['N', 'N', -0.7, -0.45, -0.9],
  ['CA', 'C', 0, 0, 0],
  ['C', 'C', -0.5, 0.45, 0.8],
  ['O', 'O', -0.4, 0.55, 2.0],
  ['CB', 'C', 1.5, 0.0, -0.3],
];

function mmcifText(entryId: string, sequence: string, chainIds: readonly string[], releaseDate: string, resolution: number): string {
  const lines: string[] = [`data_${entryId.toUpperCase()}`, `_entry.id ${entryId.toUpperCase()}`, `_exptl.method 'X-RAY DIFFRACTION'`, `_refine.ls_d_res_high ${resolution.toFixed(2)}`];
  lines.push('loop_', '_pdbx_audit_revision_history.ordinal', '_pdbx_audit_revision_history.revision_date', `1 ${releaseDate}`);
  lines.push('loop_', '_entity_poly_seq.entity_id', '_entity_poly_seq.num', '_entity_poly_seq.mon_id', '_entity_poly_seq.hetero');
  for (let i = 0; i < sequence.length; i++) lines.push(`1 ${i + 1} ${RESTYPE_1TO3[sequence[i]!]} n`);
  lines.push('loop_', '_chem_comp.id', '_chem_comp.type');
  for (const r of RESTYPES) lines.push(`${RESTYPE_1TO3[r]} 'L-peptide linking'`);
  lines.push('loop_', '_struct_asym.id', '_struct_asym.entity_id');
  for (const c of chainIds) lines.push(`${c} 1`);
  lines.push(
    'loop_',
    ...['group_PDB', 'id', 'type_symbol', 'label_atom_id', 'label_alt_id', 'label_comp_id', 'label_asym_id', 'label_entity_id', 'label_seq_id', 'pdbx_PDB_ins_code', 'Cartn_x', 'Cartn_y', 'Cartn_z', 'occupancy', 'B_iso_or_equiv', 'auth_seq_id', 'auth_asym_id', 'pdbx_PDB_model_num'].map((c) => `_atom_site.${c}`),
  );
  let serial = 1;
  chainIds.forEach((chain, k) => {
    for (let i = 0; i < sequence.length; i++) {
      const resname = RESTYPE_1TO3[sequence[i]!]!;
      const angle = (i * 100 * Math.PI) / 180;
      for (const [atom, element, dr, da, dz] of BACKBONE) {
        if (atom === 'CB' && resname === 'GLY') continue;
        const r = 2.3 + dr;
        const x = r * Math.cos(angle + da) + 40 * k;
        const y = r * Math.sin(angle + da);
        const z = 1.5 * i + dz;
        lines.push(`ATOM ${serial++} ${element} ${atom} . ${resname} ${chain} 1 ${i + 1} ? ${x.toFixed(3)} ${y.toFixed(3)} ${z.toFixed(3)} 1.00 20.00 ${i + 1} ${chain} 1`);
      }
    }
  });
  return lines.join('\n') + '\n';
}

function a3mText(sequence: string, depth: number, random: () => number): string {
  const out = ['>query', sequence];
  for (let s = 1; s < depth; s++) {
    const identity = 0.3 + 0.65 * random();
    let row = '';
    for (let i = 0; i < sequence.length; i++) {
      const p = random();
      if (p < 0.08) row += '-';
      else row += p < identity ? sequence[i] : RESTYPES[Math.floor(random() * RESTYPES.length)];
      if (random() < 0.02) row += RESTYPES[Math.floor(random() * RESTYPES.length)]!.toLowerCase();
    }
    out.push(`>UniRef100_S${s}_${Math.floor(random() * 1e6)}`, row);
  }
  return out.join('\n') + '\n';
}

export interface SyntheticInputs {
  mmcifDir: string;
  alignmentDir: string;
  chains: string[];
  /** Bytes written (mmCIFs + alignments). */
  bytes: number;
}

/** Writes `<outDir>/mmcifs/*.cif` and `<outDir>/alignments/{id}_{chain}/uniref90_hits.a3m`. */
export function writeSyntheticInputs(outDir: string, options: SyntheticOptions = DEFAULT_SYNTHETIC): SyntheticInputs {
  const random = seeded(options.seed);
  const mmcifDir = join(outDir, 'mmcifs');
  const alignmentDir = join(outDir, 'alignments');
  mkdirSync(mmcifDir, { recursive: true });
  mkdirSync(alignmentDir, { recursive: true });
  const chains: string[] = [];
  let bytes = 0;
  for (let entry = 0; chains.length < options.chains; entry++) {
    const entryId = `s${entry.toString(36).padStart(3, '0')}`;
    const length = clampInt(logNormal(random, options.lengthMedian, 0.6), options.lengthMin, options.lengthMax);
    let sequence = '';
    for (let i = 0; i < length; i++) sequence += RESTYPES[Math.floor(random() * RESTYPES.length)];
    const copies = Math.min(1 + Math.floor(random() * random() * 4), options.chains - chains.length);
    const chainIds = ['A', 'B', 'C', 'D'].slice(0, copies);
    const year = 1995 + Math.floor(random() * 28);
    const releaseDate = `${year}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
    const cif = mmcifText(entryId, sequence, chainIds, releaseDate, 1 + 3 * random());
    writeFileSync(join(mmcifDir, `${entryId}.cif`), cif);
    bytes += cif.length;
    for (const chain of chainIds) {
      const name = `${entryId}_${chain}`;
      const depth = clampInt(logNormal(random, options.depthMedian, 1.0), 1, options.depthMax);
      const a3m = a3mText(sequence, depth, random);
      mkdirSync(join(alignmentDir, name));
      writeFileSync(join(alignmentDir, name, 'uniref90_hits.a3m'), a3m);
      bytes += a3m.length;
      chains.push(name);
    }
  }
  return { mmcifDir, alignmentDir, chains, bytes };
}
