// gatedAttention splits calls with more than 65535 (row, head) pairs into
// row chunks (the CUDA launcher's limit): the result must equal the rows
// computed on their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor } from '../../trainer/core/tensor.ts';
import { slice, scope } from '../../trainer/autograd/index.ts';
import { gatedAttention } from '../../trainer/model/gated_attention.ts';
import { ParamStore } from '../../trainer/model/params.ts';
import { ModuleSpec } from '../../trainer/model/param_tree.ts';
import { attentionSpec } from '../../trainer/model/param_spec_blocks.ts';
import { initParams } from '../../trainer/model/param_init.ts';

test('rows beyond the per-call limit go in chunks with unchanged results', () => {
  const [cq, ckv, c, heads] = [3, 2, 2, 2];
  const root = new ModuleSpec().child('mha', (m) => attentionSpec(m, cq, ckv, c, heads, false));
  const specs = root.flatten();
  const values = initParams(specs, 4);
  // make the output layer non-zero so the comparison means something
  for (const s of specs) if (s.init === 'zeros') values.get(s.name)!.fill(0.3);
  const params = ParamStore.fromValues(specs, values, 'float64');
  const b = 33000; // 66000 (row, head) pairs > 65535
  const k = 3;
  const q = new Float64Array(b * cq).map((_, i) => Math.sin(i * 0.37));
  const kv = new Float64Array(b * k * ckv).map((_, i) => Math.cos(i * 0.11));
  const mask = new Float64Array(b * k).map((_, i) => (i % 5 === 4 ? 0 : 1));
  scope(() => {
    const place = { dtype: 'float64' } as const;
    const qT = tensor(q, [b, 1, cq], place);
    const kvT = tensor(kv, [b, k, ckv], place);
    const mT = tensor(mask, [b, k], place);
    const all = gatedAttention(params.view('mha'), { q: qT, kv: kvT, mask: mT, heads, gating: false }).toArray();
    const half = b / 2;
    for (const at of [0, half]) {
      const part = gatedAttention(params.view('mha'), {
        q: slice(qT, [at, 0, 0], [half, 1, cq]), kv: slice(kvT, [at, 0, 0], [half, k, ckv]),
        mask: slice(mT, [at, 0], [half, k]), heads, gating: false,
      }).toArray();
      assert.deepEqual(Array.from(all.subarray(at * cq, (at + half) * cq)), Array.from(part));
    }
  });
  params.dispose();
});
