// Phase timing of one training step (the breakdown of issue #8: data wait,
// host-to-device copy, forward, backward, optimizer). On the CPU a phase is
// host wall time. On CUDA the host only enqueues, so a phase is the time
// between CUDA events recorded on the compute stream at the phase boundaries
// (no synchronisation inside the step: the end event is waited for once, when
// the step is done, as reading the loss does anyway); with `profile` every
// boundary synchronises the device instead and the phases are host wall time
// of enqueue + execution (exact attribution, at the cost of the overlap).
import { native } from '../core/binding.ts';
import type { DeviceName } from '../core/tensor.ts';

export class StepClock {
  private readonly events: number[] = [];
  private readonly names: string[] = [];
  private readonly times: number[] = [];
  private used = 0;

  constructor(private readonly device: DeviceName, private readonly profile: boolean) {}

  /** Starts a step (the boundary before the first phase). */
  start(): void {
    this.names.length = 0;
    this.times.length = 0;
    this.used = 0;
    this.boundary('start');
  }

  /** Ends phase `name` (it began at the previous boundary). */
  mark(name: string): void {
    this.boundary(name);
  }

  /** Milliseconds per phase since start(); waits for the device when events are used. */
  finish(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.device === 'cuda' && !this.profile) {
      const last = this.events[this.used - 1]!;
      native.eventSynchronize(last);
      for (let i = 1; i < this.used; i++) out[this.names[i]!] = (out[this.names[i]!] ?? 0) + native.eventElapsed(this.events[i - 1]!, this.events[i]!);
    } else {
      for (let i = 1; i < this.times.length; i++) out[this.names[i]!] = (out[this.names[i]!] ?? 0) + this.times[i]! - this.times[i - 1]!;
    }
    return out;
  }

  dispose(): void {
    for (const e of this.events) native.eventDestroy(e);
    this.events.length = 0;
  }

  private boundary(name: string): void {
    this.names.push(name);
    if (this.device === 'cuda' && !this.profile) {
      if (this.used === this.events.length) this.events.push(native.eventCreate());
      native.eventRecord(this.events[this.used]!, native.streamCurrent());
      this.used += 1;
      return;
    }
    if (this.device === 'cuda') native.synchronize();
    this.times.push(performance.now());
  }
}
