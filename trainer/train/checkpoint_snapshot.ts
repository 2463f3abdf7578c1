// The training thread's part of a checkpoint written off-thread
// (checkpoint_writer.ts): the optimizer's tensors are copied, once, straight
// into the final bytes of the three safetensors files (header + data, the
// bytes encodeCheckpoint makes: test/trainer/train_checkpoint_writer.test.ts),
// into buffers that are reused from one checkpoint to the next (transferred
// to the writer thread and back), so the training thread pays one memcpy of
// warm memory and no allocation, page faults or encoding; the writer thread
// does the writing, fsyncs and renames (checkpoint.ts writeCheckpoint).
//
// The safetensors layout (as trainer/io/safetensors.ts writes it): 8-byte
// little-endian header length, a JSON header padded with spaces to a
// multiple of 8 bytes ({"__metadata__": {...}, name: {dtype, shape,
// data_offsets}} in tensor order), then the tensors' bytes back to back.
import type { CheckpointState } from './checkpoint.ts';
import type { OptimizerSlot } from './optimizer_state.ts';

type Pick = (s: OptimizerSlot) => Float32Array;

interface FileEntry {
  name: string;
  shape: readonly number[];
  elements: number;
  slot: number;
  pick: Pick;
}

/** One checkpoint file's layout: its header bytes and where each tensor goes. */
export interface FileLayout {
  name: string;
  header: Uint8Array;
  entries: FileEntry[];
  /** Header length field + header + data. */
  bytes: number;
}

const PARAM: Pick = (s) => s.param;
const AVERAGE: Pick = (s) => s.average;
const EXP_AVG: Pick = (s) => s.m;
const EXP_AVG_SQ: Pick = (s) => s.v;

/** The tensors' part of a header (the JSON object's members after __metadata__) and the data size. */
function headerBody(entries: readonly FileEntry[]): { body: string; dataBytes: number } {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const e of entries) {
    const n = e.elements * 4;
    header[e.name] = { dtype: 'F32', shape: [...e.shape], data_offsets: [offset, offset + n] };
    offset += n;
  }
  return { body: JSON.stringify(header).slice(1), dataBytes: offset };
}

function safetensorsHeader(body: string, metadata: Record<string, string>): Uint8Array {
  // the same text as JSON.stringify({ __metadata__, ...tensors })
  const text = `{"__metadata__":${JSON.stringify(metadata)}${body === '}' ? '}' : ',' + body}`;
  const json = new TextEncoder().encode(text);
  const padded = new Uint8Array(json.length + ((8 - (json.length % 8)) % 8)).fill(0x20);
  padded.set(json);
  return padded;
}

/** Entries and header bodies per slot list (the names and shapes never change during a run). */
const bodies = new WeakMap<readonly OptimizerSlot[], { name: string; entries: FileEntry[]; body: string; dataBytes: number }[]>();

/**
 * The layouts of model.safetensors, ema.safetensors and optimizer.safetensors for these slots at `step`
 * (the step is in the metadata, so the header is made per checkpoint: a few milliseconds).
 */
export function checkpointLayout(slots: readonly OptimizerSlot[], step: number): FileLayout[] {
  const meta = { format: 'pt', step: String(step) };
  let files = bodies.get(slots);
  const shapesChanged = files !== undefined && files[0]!.entries.some((e) => e.elements !== slots[e.slot]?.param.length);
  if (files === undefined || shapesChanged) {
    const entries = (pick: Pick, prefix = ''): FileEntry[] => slots.map((s, slot) => ({ name: prefix + s.name, shape: [...s.shape], elements: s.shape.reduce((a, b) => a * b, 1), slot, pick }));
    const made: [string, FileEntry[]][] = [
      ['model.safetensors', entries(PARAM)],
      ['ema.safetensors', entries(AVERAGE)],
      ['optimizer.safetensors', [...entries(EXP_AVG, 'exp_avg.'), ...entries(EXP_AVG_SQ, 'exp_avg_sq.')]],
    ];
    files = made.map(([name, es]) => ({ name, entries: es, ...headerBody(es) }));
    bodies.set(slots, files);
  }
  return files.map((f) => {
    const header = safetensorsHeader(f.body, meta);
    return { name: f.name, header, entries: f.entries, bytes: 8 + header.length + f.dataBytes };
  });
}

/**
 * Writes the file into `buffer` (at least layout.bytes long; its first layout.bytes bytes are the file):
 * the header, then each slot's current values. The data starts at a multiple of 8 bytes (8 + padded header),
 * so every tensor sits at a 4-byte aligned offset and is copied as Float32Array.set (a memcpy).
 */
export function snapshotFile(layout: FileLayout, slots: readonly OptimizerSlot[], buffer: ArrayBuffer): Uint8Array {
  if (buffer.byteLength < layout.bytes) throw new Error(`snapshot buffer of ${buffer.byteLength} bytes for ${layout.name} of ${layout.bytes}`);
  const bytes = new Uint8Array(buffer, 0, layout.bytes);
  new DataView(buffer).setBigUint64(0, BigInt(layout.header.length), true);
  bytes.set(layout.header, 8);
  let at = (8 + layout.header.length) / 4;
  const floats = new Float32Array(buffer, 0, layout.bytes >> 2);
  for (const e of layout.entries) {
    const src = e.pick(slots[e.slot]!);
    if (src.length !== e.elements) throw new Error(`checkpoint: '${e.name}' has ${src.length} values, shape [${e.shape}] needs ${e.elements}`);
    floats.set(src, at);
    at += src.length;
  }
  return bytes;
}

/** The file's first bytes: the header length field and the header (the data follows). */
export function headerBytes(layout: FileLayout): Uint8Array {
  const out = new Uint8Array(8 + layout.header.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(layout.header.length), true);
  out.set(layout.header, 8);
  return out;
}

/** state.json's bytes (as encodeCheckpoint writes them). */
export function stateBytes(state: CheckpointState): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(state, null, 1) + '\n');
}
