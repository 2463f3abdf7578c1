// The line a user watches on stderr: step, loss, the latest lDDT-Ca (with the
// step it belongs to), samples/s (moving average) and the time left.
import type { StepRecord } from './metrics_log.ts';

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return (h > 0 ? `${h}:${String(m).padStart(2, '0')}` : String(m)) + `:${String(r).padStart(2, '0')}`;
}

export class ProgressLine {
  private rate = 0;

  constructor(private readonly total: number, private readonly write: (line: string) => void) {}

  update(r: StepRecord, lastEval: { step: number; lddt: number } | null): void {
    this.rate = this.rate === 0 ? r.samples_per_s : 0.8 * this.rate + 0.2 * r.samples_per_s;
    const lddt = lastEval ? `lDDT-Ca ${lastEval.lddt.toFixed(3)} @${lastEval.step}` : 'lDDT-Ca -';
    const eta = clock((this.total - r.step) / this.rate);
    this.write(`step ${r.step}/${this.total}  loss ${r.loss.toFixed(3)}  ${lddt}  ${this.rate.toFixed(2)} samples/s  ` +
      `(data ${r.data_wait_ms.toFixed(0)} fwd ${r.forward_ms.toFixed(0)} bwd ${r.backward_ms.toFixed(0)} opt ${r.optimizer_ms.toFixed(0)} ms)  ETA ${eta}`);
  }

  done(): void {}
}
