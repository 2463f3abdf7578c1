// Build progress on stderr: a redrawn bar with chains/s and ETA on a
// terminal; plain log lines (every few seconds and at each shard commit)
// otherwise, so logs and tests can follow a run.

export interface ProgressCounts {
  finished: number;
  total: number;
  failed: number;
  filtered: number;
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export class Progress {
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly tty: boolean = process.stderr.isTTY === true,
    private readonly plainEverySeconds = 10,
  ) {}

  private line(c: ProgressCounts): string {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = c.finished / Math.max(seconds, 1e-9);
    const eta = rate > 0 ? (c.total - c.finished) / rate : Number.POSITIVE_INFINITY;
    return `${c.finished}/${c.total} chains  ${rate.toFixed(2)} chains/s  ETA ${formatSeconds(eta)}  failed ${c.failed}  filtered ${c.filtered}`;
  }

  update(c: ProgressCounts, force = false): void {
    const now = performance.now();
    if (this.tty) {
      if (!force && now - this.lastDraw < 100) return;
      const width = 30;
      const filled = c.total > 0 ? Math.round((width * c.finished) / c.total) : width;
      this.stream.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.line(c)}`);
      this.drawn = true;
    } else {
      if (!force && now - this.lastDraw < this.plainEverySeconds * 1000) return;
      this.stream.write(`build: ${this.line(c)}\n`);
    }
    this.lastDraw = now;
  }

  /** A log line that must not be overdrawn by the bar. */
  log(message: string): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[K');
    this.stream.write(`build: ${message}\n`);
    this.drawn = false;
  }

  finish(c: ProgressCounts): void {
    this.update(c, true);
    if (this.tty) this.stream.write('\n');
  }
}
