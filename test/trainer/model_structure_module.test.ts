// Structure module (Alg. 20-24) and atom14 -> atom37 against
// test/fixtures/golden/model_tiny output/sm/* and final_atom_positions,
// fed the golden's own Evoformer outputs (single, pair).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoldenState } from '../../trainer/model/golden_state.ts';
import { compareArrays, withinTolerance } from '../../trainer/model/compare.ts';
import { floatTensor, type TensorPlacement } from '../../trainer/model/host_tensor.ts';
import { evalRuntime } from '../../trainer/model/runtime.ts';
import { rigidTo4x4, structureModule } from '../../trainer/model/structure_module.ts';
import { atom14ToAtom37 } from '../../trainer/model/all_atom.ts';
import { scope } from '../../trainer/autograd/index.ts';

const golden = await GoldenState.read('test/fixtures/golden/model_tiny');
const place: TensorPlacement = { dtype: 'float64', device: 'cpu' };
const params = golden.params(place);
const k = golden.iterations - 1;

function assertClose(ours: ArrayLike<number>, name: string): void {
  const c = compareArrays(ours, golden.output(name).data);
  assert.ok(withinTolerance(c, 1e-10, 1e-12), `${name}: max err ${c.maxAbsError} (at ${c.at}) vs max ${c.maxAbsRef}`);
}

function stack(parts: ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(Array.from(p), at);
    at += p.length;
  }
  return out;
}

test('structure module reproduces sm/* per layer, sm/single and final atom positions', () => {
  scope(() => {
    const aatype = golden.input('aatype', k).data;
    const out = structureModule(params.view('structure_module'), evalRuntime(place), golden.config.model.structure_module,
      floatTensor(golden.output('single'), place), floatTensor(golden.output('pair'), place), aatype, golden.input('seq_mask', k).data);
    assert.equal(out.layers.length, golden.config.model.structure_module.no_blocks);
    assertClose(stack(out.layers.map((l) => l.frames.toArray())), 'sm/frames');
    assertClose(stack(out.layers.map((l) => l.unnormalizedAngles.toArray())), 'sm/unnormalized_angles');
    assertClose(stack(out.layers.map((l) => l.angles.toArray())), 'sm/angles');
    assertClose(stack(out.layers.map((l) => rigidTo4x4(l.sidechainFrames))), 'sm/sidechain_frames');
    assertClose(stack(out.layers.map((l) => l.positions.toArray())), 'sm/positions');
    assertClose(stack(out.layers.map((l) => l.states.toArray())), 'sm/states');
    assertClose(out.single.toArray(), 'sm/single');
    const last = out.layers[out.layers.length - 1]!;
    assertClose(last.frames.toArray(), 'final_affine_tensor');
    const atom37 = atom14ToAtom37(last.positions, golden.input('residx_atom37_to_atom14', k).data, golden.input('atom37_atom_exists', k).data);
    assertClose(atom37.toArray(), 'final_atom_positions');
  });
});
