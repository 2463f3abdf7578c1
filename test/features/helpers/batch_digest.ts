// SHA-256 over every key, dtype, shape and the raw bytes of a feature dict.
import { createHash } from 'node:crypto';
import type { FeatureDict } from '../../../features/tensor.ts';

export function batchDigest(batch: FeatureDict): string {
  const h = createHash('sha256');
  for (const key of Object.keys(batch).sort()) {
    const t = batch[key]!;
    h.update(`${key}|${t.kind === 'numeric' ? t.dtype : 'string'}|${t.shape.join(',')}|`);
    if (t.kind === 'numeric') h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    else h.update(t.values.join('\u0000'));
  }
  return h.digest('hex');
}
