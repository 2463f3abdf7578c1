// Every minitrain chain (19 real chains in OpenFold's layout, with ColabFold
// and Protenix A3M quirks, NMR ensembles, ACE caps, a DNA chain beside the
// protein) gives raw features whose first MSA row is the chain's SEQRES.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { computeChainFeatures } from '../../pipeline/chain_features.ts';
import { ID_TO_HHBLITS_AA } from '../../features/residue_constants.ts';
import type { NumericTensor } from '../../features/tensor.ts';

const MINITRAIN = 'test/fixtures/minitrain';

test('every minitrain chain gives features; MSA row 0 is the SEQRES, structure arrays match its length', async () => {
  const chains = readdirSync(`${MINITRAIN}/alignments`).sort();
  assert.equal(chains.length, 19);
  for (const chain of chains) {
    const [pdb, chainId] = chain.split('_') as [string, string];
    const { features, info, warnings } = await computeChainFeatures({
      input: { kind: 'mmcif', path: `${MINITRAIN}/mmcifs/${pdb}.cif`, chainId },
      alignmentDir: `${MINITRAIN}/alignments/${chain}`,
    });
    const msa = features.msa!;
    const numRes = info.sequence.length;
    assert.equal(msa.shape[1], numRes, chain);
    assert.ok(msa.shape[0]! >= 1, chain);
    const row0 = Array.from((msa as NumericTensor<'int32'>).data.subarray(0, numRes), (id) => ID_TO_HHBLITS_AA[id]).join('');
    assert.equal(row0, info.sequence, chain);
    assert.deepEqual(warnings, [], chain);
    assert.deepEqual(features.all_atom_positions!.shape, [numRes, 37, 3], chain);
    assert.deepEqual(features.template_aatype!.shape, [0, numRes, 22], chain);
    // Some atoms resolved.
    assert.ok((features.all_atom_mask as NumericTensor<'float32'>).data.some((m) => m === 1), chain);
  }
});
