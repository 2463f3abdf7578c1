// Content hash of one dataset row: SHA-256 over the features (sorted by name;
// name, dtype, shape and the raw little-endian bytes of each) and the
// metadata columns (sorted by name, JSON-encoded; content_hash itself left
// out). Equal rows hash equal whatever shard or position they land in.
import { createHash } from 'node:crypto';
import type { FeatureDict } from '../../features/tensor.ts';
import type { PlainValue } from '../arrow/column_types.ts';

function jsonValue(value: PlainValue): string {
  return typeof value === 'bigint' ? `${value}n` : JSON.stringify(value);
}

export function contentHash(features: FeatureDict, columns: Record<string, PlainValue>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(features).sort()) {
    const f = features[name]!;
    if (f.kind === 'string') {
      hash.update(`F${name}|string|${f.shape.join(',')}|${JSON.stringify(f.values)}\n`);
    } else {
      hash.update(`F${name}|${f.dtype}|${f.shape.join(',')}|`);
      hash.update(new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.byteLength));
      hash.update('\n');
    }
  }
  for (const name of Object.keys(columns).sort()) {
    if (name === 'content_hash') continue;
    hash.update(`C${name}|${jsonValue(columns[name]!)}\n`);
  }
  return hash.digest('hex');
}
