// make_masked_msa of OpenFold (openfold/data/data_transforms.py): BERT-style
// corruption of the cluster centres (AlphaFold2 supplementary 1.2.7): each
// position is selected with probability replace_fraction; a selected position
// becomes a uniformly random amino acid (uniform_prob), a draw from the
// column's HHblits profile (profile_prob), itself (same_prob), or the mask
// token 22 (the remaining probability).
// Sampling is the same mixture as OpenFold's categorical over
// uniform_prob * 0.05[20] + profile_prob * profile + same_prob * one_hot + mask,
// drawn as "pick a component, then a class".
// DISCREPANCY: OpenFold draws a categorical at every position and then keeps
// it only where selected, and adds 1e-10 to each class; we draw only at the
// selected positions and omit the 1e-10 (same distribution to 1e-9).

import type { Rng } from '../../rng.ts';
import type { MaskedMsaConfig } from '../config.ts';

export const MASK_TOKEN = 22;

export interface MaskedMsa {
  /** [N_sel, N_res] the corrupted MSA that the model sees. */
  msa: Uint8Array;
  /** [N_sel, N_res] 1 at selected positions. */
  bertMask: Float32Array;
}

/**
 * `trueMsa` is the [N_sel, N_res] selected MSA (values 0..21); `profile`
 * [N_res, 22] the hhblits_profile. A null generator means no masking.
 */
export function makeMaskedMsa(trueMsa: Uint8Array, numRes: number, profile: Float32Array, config: MaskedMsaConfig, rng: Rng | null): MaskedMsa {
  const msa = trueMsa.slice();
  const bertMask = new Float32Array(trueMsa.length);
  if (rng === null || config.replaceFraction === 0) return { msa, bertMask };
  const pUniform = config.uniformProb;
  const pProfile = pUniform + config.profileProb;
  const pSame = pProfile + config.sameProb;
  // Selected positions are a Bernoulli(replace_fraction) process: jump from
  // one to the next with geometric gaps (one draw per selected position,
  // not one per position).
  const logKeep = Math.log(1 - config.replaceFraction);
  for (let i = -1; ;) {
    i += 1 + Math.floor(Math.log(1 - rng.float()) / logKeep);
    if (!(i < msa.length)) break;
    bertMask[i] = 1;
    const u = rng.float();
    if (u < pUniform) {
      msa[i] = rng.int(20);
    } else if (u < pProfile) {
      msa[i] = drawFromProfile(profile, (i % numRes) * 22, rng.float());
    } else if (u >= pSame) {
      msa[i] = MASK_TOKEN;
    } // else: keeps its own residue
  }
  return { msa, bertMask };
}

function drawFromProfile(profile: Float32Array, at: number, u: number): number {
  let total = 0;
  for (let c = 0; c < 22; c++) total += profile[at + c]!;
  let acc = 0;
  let last = 0;
  const target = u * total;
  for (let c = 0; c < 22; c++) {
    const p = profile[at + c]!;
    if (p <= 0) continue;
    acc += p;
    last = c;
    if (target < acc) return c;
  }
  return last;
}
