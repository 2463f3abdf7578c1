// Statistical and structural checks of the per-step transforms on a deep MSA
// (openfold_raw_short: 1136 rows, 73 residues, 7 templates). Each check can
// fail: tolerances are several standard deviations of the binomial counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readNpyDir } from '../../pipeline/npy_dir.ts';
import { chooseSample, msaPass, perStepTransforms, prepareChain } from '../../features/transforms/ensembled/per_step.ts';
import { nearestNeighborClustersReference } from '../../features/transforms/ensembled/nearest_neighbor.ts';
import { perStepConfig } from '../../features/transforms/config.ts';
import { Rng } from '../../features/rng.ts';
import type { FeatureDict } from '../../features/tensor.ts';
import { num } from './helpers/numeric_of.ts';

const DIR = 'test/fixtures/golden/openfold_raw_short/nonensembled';
let cached: FeatureDict | undefined;
async function input(): Promise<FeatureDict> {
  cached ??= await readNpyDir(DIR);
  return cached;
}

test('BERT masking selects ~15% of positions; 70% of those become the mask token', async () => {
  const chain = prepareChain(await input());
  const config = perStepConfig();
  let positions = 0, masked = 0, maskToken = 0, unchanged = 0;
  const firstHalf = [0, 0], secondHalf = [0, 0]; // [masked, positions]
  for (let seed = 0; seed < 12; seed++) {
    const pass = msaPass(chain, config, Rng.fromSeed(seed), 0, chain.numRes);
    positions += pass.bertMask.length;
    for (let i = 0; i < pass.bertMask.length; i++) {
      const half = i < pass.bertMask.length / 2 ? firstHalf : secondHalf;
      half[0]! += pass.bertMask[i]!;
      half[1]!++;
      if (pass.bertMask[i] === 0) {
        assert.equal(pass.centres[i], pass.trueCentres[i], 'unmasked positions are untouched');
        continue;
      }
      masked++;
      if (pass.centres[i] === 22) maskToken++;
      if (pass.centres[i] === pass.trueCentres[i]) unchanged++;
    }
  }
  // 12 x 124 x 73 = 108,624 positions: sd of the fraction is 0.0011.
  assert.ok(Math.abs(masked / positions - 0.15) < 0.006, `masked fraction ${masked / positions}`);
  // Both halves of the MSA are masked at the same rate (sd 0.0015 each).
  for (const [m, n] of [firstHalf, secondHalf]) assert.ok(Math.abs(m! / n! - 0.15) < 0.009, `half masked fraction ${m! / n!}`);
  // ~16,300 masked: sd of the fraction is 0.0036.
  assert.ok(Math.abs(maskToken / masked - 0.7) < 0.02, `mask-token fraction ${maskToken / masked}`);
  // "same" (0.1) plus uniform and profile draws that hit the true residue: at least 0.1, well below 0.3.
  assert.ok(unchanged / masked > 0.09 && unchanged / masked < 0.3, `unchanged fraction ${unchanged / masked}`);
});

test('row 0 (the query) is always the first cluster centre, in every pass', async () => {
  const inp = await input();
  const chain = prepareChain(inp);
  for (let seed = 0; seed < 10; seed++) {
    const batch = perStepTransforms(inp, { seed, config: perStepConfig({ cropSize: 50 }) });
    const passes = batch['aatype']!.shape[0]!;
    const start = Number((num(batch, 'residue_index').data as BigInt64Array)[0]) - Number((num(inp, 'residue_index').data as BigInt64Array)[0]);
    const trueMsa = num(batch, 'true_msa').data as BigInt64Array;
    for (let k = 0; k < passes; k++) {
      for (let j = 0; j < 50; j++) assert.equal(Number(trueMsa[(k * 124) * 50 + j]), chain.msa[start + j], `seed ${seed} pass ${k} residue ${j}`);
    }
    const rows = msaPass(chain, perStepConfig(), Rng.fromSeed(seed), 0, chain.numRes).selected;
    assert.equal(rows[0], 0);
  }
});

test('the crop is contiguous, inside the chain, the same for all passes, and covers both ends over seeds', async () => {
  const inp = await input();
  const chain = prepareChain(inp);
  const sourceIndex = num(inp, 'residue_index').data as BigInt64Array;
  const starts = new Set<number>();
  for (let seed = 0; seed < 300; seed++) {
    const choice = chooseSample(chain, perStepConfig({ cropSize: 64 }), Rng.fromSeed(seed));
    assert.equal(choice.cropLength, 64);
    assert.ok(choice.cropStart >= 0 && choice.cropStart + 64 <= 73);
    starts.add(choice.cropStart);
  }
  assert.ok(starts.has(0) && starts.has(9), `starts seen: ${[...starts].sort((a, b) => a - b)}`);
  for (let seed = 0; seed < 5; seed++) {
    const batch = perStepTransforms(inp, { seed, config: perStepConfig({ cropSize: 64, passes: 3 }) });
    const idx = num(batch, 'residue_index').data as BigInt64Array;
    const first = Number(idx[0]);
    const offset = first - Number(sourceIndex[0]);
    for (let k = 0; k < 3; k++) {
      for (let j = 0; j < 64; j++) {
        assert.equal(Number(idx[k * 64 + j]), first + j, 'contiguous');
        assert.equal(idx[k * 64 + j], sourceIndex[offset + j], 'inside the chain');
      }
    }
    assert.equal(Number((num(batch, 'seq_length').data as BigInt64Array)[0]), 64);
  }
});

test('cluster assignment equals the brute-force nearest-neighbour reference after masking', async () => {
  const chain = prepareChain(await input());
  for (let seed = 0; seed < 3; seed++) {
    const pass = msaPass(chain, perStepConfig(), Rng.fromSeed(seed), 0, chain.numRes);
    const reference = nearestNeighborClustersReference({
      centres: pass.centres, centreMask: null, numCentres: pass.selected.length, numRes: chain.numRes,
      msa: chain.msa, extraRows: pass.extraAll, msaMask: chain.msaMask, gapAgreementWeight: 0,
    });
    assert.deepEqual(pass.assignment, reference);
  }
});

test('extra MSA rows are disjoint from the sampled centres; both come from the rows kept by block deletion', async () => {
  const chain = prepareChain(await input());
  for (let seed = 0; seed < 10; seed++) {
    const pass = msaPass(chain, perStepConfig(), Rng.fromSeed(seed), 0, chain.numRes);
    const centres = new Set(pass.selected);
    assert.equal(centres.size, pass.selected.length);
    assert.equal(pass.selected.length, Math.min(124, pass.selected.length + pass.extraAll.length));
    for (const r of pass.extraAll) assert.ok(!centres.has(r), `row ${r} is both a centre and extra`);
    assert.equal(new Set(pass.extraAll).size, pass.extraAll.length);
    // Block deletion removes 5 blocks of floor(0.3 * 1136) = 340 rows (overlaps allowed), never row 0:
    // between 340 and 1135 rows go.
    const kept = pass.selected.length + pass.extraAll.length;
    assert.ok(kept <= 1136 - 340 && kept >= 1, `kept ${kept}`);
    assert.equal(pass.selected[0], 0);
    assert.equal(pass.extraChosen.length, Math.min(1024, pass.extraAll.length));
    const all = new Set(pass.extraAll);
    for (const r of pass.extraChosen) assert.ok(all.has(r));
  }
});

test('padding masks are exact: ones on the real rows and residues, zeros elsewhere', async () => {
  const inp = await input();
  for (let seed = 0; seed < 4; seed++) {
    const batch = perStepTransforms(inp, { seed, config: perStepConfig({ passes: 2 }) });
    const L = 73, N = 256, S = 124, E = 1024;
    const rowMask = num(batch, 'msa_row_mask').data as Float32Array;
    const extraRowMask = num(batch, 'extra_msa_row_mask').data as Float32Array;
    const msaMask = num(batch, 'msa_mask').data as Float32Array;
    const extraMask = num(batch, 'extra_msa_mask').data as Float32Array;
    const seqMask = num(batch, 'seq_mask').data as Float32Array;
    const msaFeat = num(batch, 'msa_feat').data as Float32Array;
    for (let k = 0; k < 2; k++) {
      for (let j = 0; j < N; j++) assert.equal(seqMask[k * N + j], j < L ? 1 : 0);
      let realRows = 0;
      for (let s = 0; s < S; s++) realRows += rowMask[k * S + s]!;
      assert.ok(realRows >= 1 && realRows <= S);
      for (let s = 0; s < S; s++) {
        const real = s < realRows;
        assert.equal(rowMask[k * S + s], real ? 1 : 0, 'centre rows are a prefix');
        for (let j = 0; j < N; j++) {
          assert.equal(msaMask[(k * S + s) * N + j], real && j < L ? 1 : 0);
          if (!real || j >= L) for (let c = 0; c < 49; c++) assert.equal(msaFeat[((k * S + s) * N + j) * 49 + c], 0);
        }
      }
      let realExtra = 0;
      for (let e = 0; e < E; e++) {
        const real = extraRowMask[k * E + e]!;
        realExtra += real;
        for (let j = 0; j < N; j++) assert.equal(extraMask[(k * E + e) * N + j], real === 1 && j < L ? 1 : 0);
      }
      // Extra rows are a prefix of the 1024 slots.
      for (let e = 0; e < E; e++) assert.equal(extraRowMask[k * E + e], e < realExtra ? 1 : 0);
      assert.ok(realExtra > 0 && realExtra <= 1136 - 124);
    }
    const templateMask = num(batch, 'template_mask').data as Float32Array;
    for (let k = 0; k < 2; k++) {
      const n = templateMask.subarray(k * 4, k * 4 + 4).reduce((a, b) => a + b, 0);
      for (let t = 0; t < 4; t++) assert.equal(templateMask[k * 4 + t], t < n ? 1 : 0);
      const aatypeT = num(batch, 'template_aatype').data as BigInt64Array;
      // Padding templates are empty (gap-free zeros), real ones carry residues.
      for (let t = n; t < 4; t++) for (let j = 0; j < N; j++) assert.equal(aatypeT[(k * 4 + t) * N + j], 0n);
    }
  }
});

test('template subsampling keeps a random window of a shuffled list, the same in every pass', async () => {
  const chain = prepareChain(await input());
  const counts = new Set<number>();
  const firsts = new Set<number>();
  for (let seed = 0; seed < 200; seed++) {
    const c = chooseSample(chain, perStepConfig(), Rng.fromSeed(seed));
    assert.ok(c.templates.length <= 4);
    assert.equal(new Set(c.templates).size, c.templates.length);
    for (const t of c.templates) assert.ok(t >= 0 && t < 7);
    counts.add(c.templates.length);
    if (c.templates.length > 0) firsts.add(c.templates[0]!);
  }
  assert.deepEqual([...counts].sort(), [0, 1, 2, 3, 4]);
  assert.equal(firsts.size, 7);
});
