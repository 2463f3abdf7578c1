// Residue atom tables (features/constants/): internal consistency, and facts of
// AlphaFold's residue_constants that the non-ensembled goldens do not reach
// (default frames, literature positions of atoms).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ATOM_ORDER, RESTYPES, RESTYPE_1TO3 } from '../../features/residue_constants.ts';
import {
  RESTYPE_ATOM14_MASK, RESTYPE_ATOM14_TO_ATOM37, RESTYPE_ATOM37_MASK, RESTYPE_ATOM37_TO_ATOM14, RESTYPE_ATOM14_RENAMING,
} from '../../features/constants/atom14_tables.ts';
import {
  CHI_ATOM_INDICES, RESTYPE_ATOM14_RIGID_GROUP_POSITIONS, RESTYPE_ATOM14_TO_RIGID_GROUP, RESTYPE_RIGID_GROUP_DEFAULT_FRAME,
  RESTYPE_RIGIDGROUP_IS_AMBIGUOUS, RESTYPE_RIGIDGROUP_MASK,
} from '../../features/constants/rigid_group_tables.ts';
import { CHI_ANGLES_MASK, RESIDUE_ATOMS } from '../../features/constants/residue_atom_tables.ts';

const sum = (a: ArrayLike<number>, from: number, n: number) => { let s = 0; for (let i = 0; i < n; i++) s += a[from + i]!; return s; };

test('atom14 and atom37 tables agree: heavy-atom counts, round trips, UNK empty', () => {
  const heavy: Record<string, number> = { A: 5, G: 4, W: 14, R: 11, F: 11, Y: 12, P: 7, C: 6 };
  RESTYPES.forEach((letter, r) => {
    const n14 = sum(RESTYPE_ATOM14_MASK, r * 14, 14);
    assert.equal(n14, RESIDUE_ATOMS[RESTYPE_1TO3[letter]!]!.length, letter);
    assert.equal(sum(RESTYPE_ATOM37_MASK, r * 37, 37), n14, letter);
    if (heavy[letter] !== undefined) assert.equal(n14, heavy[letter], letter);
    for (let a = 0; a < 14; a++) {
      if (!RESTYPE_ATOM14_MASK[r * 14 + a]) continue;
      const a37 = RESTYPE_ATOM14_TO_ATOM37[r * 14 + a]!;
      assert.equal(RESTYPE_ATOM37_TO_ATOM14[r * 37 + a37], a, `${letter} slot ${a}`);
    }
  });
  assert.equal(sum(RESTYPE_ATOM14_MASK, 20 * 14, 14), 0);
  assert.equal(sum(RESTYPE_ATOM37_MASK, 20 * 37, 37), 0);
});

test('renaming swaps: D, E, F, Y swap their symmetric atoms; the last chi group of those residues is ambiguous', () => {
  const swapped = (letter: string) => {
    const r = RESTYPES.indexOf(letter as (typeof RESTYPES)[number]);
    return Array.from({ length: 14 }, (_, a) => RESTYPE_ATOM14_RENAMING[r * 14 + a]!).filter((b, a) => b !== a).length;
  };
  assert.deepEqual(RESTYPES.map(swapped), RESTYPES.map((l) => ({ D: 2, E: 2, F: 4, Y: 4 } as Record<string, number>)[l] ?? 0));
  const ambiguousGroups = RESTYPES.map((_, r) => sum(RESTYPE_RIGIDGROUP_IS_AMBIGUOUS, r * 8, 8));
  assert.deepEqual(ambiguousGroups, RESTYPES.map((l) => ('DEFY'.includes(l) ? 1 : 0)));
  // ASP: chi2 (group 5); GLU: chi3 (group 6).
  assert.equal(RESTYPE_RIGIDGROUP_IS_AMBIGUOUS[3 * 8 + 5], 1);
  assert.equal(RESTYPE_RIGIDGROUP_IS_AMBIGUOUS[6 * 8 + 6], 1);
});

test('chi tables: ARG and LYS have 4 chis, ALA and GLY none; chi atoms exist in the residue', () => {
  const chis = RESTYPES.map((_, r) => CHI_ANGLES_MASK[r]!.reduce((a, b) => a + b, 0));
  assert.equal(chis[RESTYPES.indexOf('R')], 4);
  assert.equal(chis[RESTYPES.indexOf('K')], 4);
  assert.equal(chis[RESTYPES.indexOf('A')], 0);
  assert.equal(chis[RESTYPES.indexOf('G')], 0);
  RESTYPES.forEach((letter, r) => {
    assert.equal(sum(RESTYPE_RIGIDGROUP_MASK, r * 8 + 4, 4), chis[r], letter);
    for (let c = 0; c < chis[r]!; c++) {
      for (let k = 0; k < 4; k++) assert.equal(RESTYPE_ATOM37_MASK[r * 37 + CHI_ATOM_INDICES[r * 16 + c * 4 + k]!], 1, `${letter} chi${c + 1}`);
    }
  });
});

test('default frames are rigid (orthonormal, det +1) and literature positions give real bond lengths', () => {
  for (let r = 0; r < 20; r++) {
    for (let g = 0; g < 8; g++) {
      const m = RESTYPE_RIGID_GROUP_DEFAULT_FRAME.subarray((r * 8 + g) * 16, (r * 8 + g + 1) * 16);
      if (g >= 4 && !RESTYPE_RIGIDGROUP_MASK[r * 8 + g]) { assert.equal(sum(m, 0, 16), 0); continue; }
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          let dot = 0;
          for (let k = 0; k < 3; k++) dot += m[k * 4 + i]! * m[k * 4 + j]!;
          assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-6, `restype ${r} group ${g}`);
        }
      }
      const det = m[0]! * (m[5]! * m[10]! - m[6]! * m[9]!) - m[1]! * (m[4]! * m[10]! - m[6]! * m[8]!) + m[2]! * (m[4]! * m[9]! - m[5]! * m[8]!);
      assert.ok(Math.abs(det - 1) < 1e-6);
      assert.deepEqual(Array.from(m.subarray(12)), [0, 0, 0, 1]);
    }
  }
  // Backbone atoms live in group 0: N-CA 1.46 A, CA-C 1.52 A (Engh & Huber, as in AlphaFold's table).
  const pos = (r: number, a: number) => Array.from(RESTYPE_ATOM14_RIGID_GROUP_POSITIONS.subarray((r * 14 + a) * 3, (r * 14 + a) * 3 + 3));
  const dist = (p: number[], q: number[]) => Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!, p[2]! - q[2]!);
  for (let r = 0; r < 20; r++) {
    assert.equal(RESTYPE_ATOM14_TO_RIGID_GROUP[r * 14 + 1], 0);
    assert.deepEqual(pos(r, 1), [0, 0, 0], 'CA at the backbone origin');
    assert.ok(Math.abs(dist(pos(r, 0), pos(r, 1)) - 1.46) < 0.02);
    assert.ok(Math.abs(dist(pos(r, 1), pos(r, 2)) - 1.525) < 0.02);
  }
  assert.equal(ATOM_ORDER.get('CA'), 1);
});
