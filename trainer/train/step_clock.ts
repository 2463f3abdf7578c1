// Phase timing of training steps (the breakdown of issue #8: data wait,
// host-to-device copy, forward, backward, optimizer). On the CPU a phase is
// host wall time. On CUDA the host only enqueues, so a phase is the time
// between CUDA events recorded on the compute stream at the phase boundaries
// (no synchronisation inside the step: the end event is waited for once, when
// the step is finished). Each step gets its own timer, and a timer stays
// readable while the next step is enqueued, so that the host can finish a step
// after it has started the next one; against the step before it, a timer also
// gives the device time from that step's end to its own (the step period) and
// the device's idle gap before its first event. With `profile` every boundary
// synchronises the device instead and the phases are host wall time of
// enqueue + execution (exact attribution, no overlap).
import { native } from '../core/binding.ts';
import type { DeviceName } from '../core/tensor.ts';

/** Device times of a step against the step before it (ms). */
export interface DeviceSpan {
  /** From the previous step's last event to this step's last event. */
  periodMs: number;
  /** From the previous step's last event to this step's first (the device idles, or runs other streams' work). */
  gapMs: number;
}

/** events: CUDA events on the current stream; host: wall time; host-sync: wall time after a device synchronisation. */
type TimerMode = 'events' | 'host' | 'host-sync';

export class StepTimer {
  private readonly events: number[] = [];
  private readonly names: string[] = [];
  private readonly times: number[] = [];
  private used = 0;

  /** The step started before this one (its events still hold that step's), or null for the first. */
  private previous: StepTimer | null = null;

  constructor(private readonly mode: TimerMode) {}

  /** A fresh step after `previous`: clears the boundaries and records the start. */
  restart(previous: StepTimer | null): void {
    this.previous = previous;
    this.names.length = 0;
    this.times.length = 0;
    this.used = 0;
    this.mark('start');
  }

  /** Ends phase `name` (it began at the previous boundary). */
  mark(name: string): void {
    this.names.push(name);
    if (this.mode === 'events') {
      if (this.used === this.events.length) this.events.push(native.eventCreate());
      native.eventRecord(this.events[this.used]!, native.streamCurrent());
      this.used += 1;
      return;
    }
    if (this.mode === 'host-sync') native.synchronize();
    this.times.push(performance.now());
  }

  /** Milliseconds per phase since the start; waits for the device when events are used. */
  finish(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.mode === 'events') {
      native.eventSynchronize(this.events[this.used - 1]!);
      for (let i = 1; i < this.used; i++) out[this.names[i]!] = (out[this.names[i]!] ?? 0) + native.eventElapsed(this.events[i - 1]!, this.events[i]!);
    } else {
      for (let i = 1; i < this.times.length; i++) out[this.names[i]!] = (out[this.names[i]!] ?? 0) + this.times[i]! - this.times[i - 1]!;
    }
    return out;
  }

  /** After finish(): device times against the previous step (null without events or without a previous step). */
  span(): DeviceSpan | null {
    const p = this.previous;
    if (this.mode !== 'events' || p === null || p.used === 0) return null;
    const previousEnd = p.events[p.used - 1]!;
    return { periodMs: native.eventElapsed(previousEnd, this.events[this.used - 1]!), gapMs: native.eventElapsed(previousEnd, this.events[0]!) };
  }

  dispose(): void {
    for (const e of this.events) native.eventDestroy(e);
    this.events.length = 0;
  }
}

/**
 * Timers for successive steps, reused round robin: a step's timer (and the one before it, for span()) stays
 * valid until two more steps have started, so a step may be finished after the next one started.
 */
export class StepClock {
  private readonly timers: StepTimer[];
  private next = 0;
  private last: StepTimer | null = null;

  constructor(device: DeviceName, profile: boolean) {
    const mode: TimerMode = device !== 'cuda' ? 'host' : profile ? 'host-sync' : 'events';
    this.timers = Array.from({ length: 3 }, () => new StepTimer(mode));
  }

  /** Starts a step (the boundary before its first phase) on the next timer. */
  start(): StepTimer {
    const timer = this.timers[this.next]!;
    this.next = (this.next + 1) % this.timers.length;
    timer.restart(this.last);
    this.last = timer;
    return timer;
  }

  dispose(): void {
    for (const t of this.timers) t.dispose();
  }
}
