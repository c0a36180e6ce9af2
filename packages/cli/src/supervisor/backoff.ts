export interface BackoffOptions {
  /** Delay before the first restart. */
  initialMs: number;
  /** The delay doubles up to this. */
  maxMs: number;
  /** A child that stayed up this long was healthy: its next crash starts again at initialMs. */
  resetAfterMs: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 1000, maxMs: 60_000, resetAfterMs: 60_000 };

/**
 * Restart delays for one child: 1 s, 2 s, 4 s … 60 s while it keeps crashing, back to 1 s once it ran a while. A child
 * that dies at once is therefore never restarted in a tight loop, and one that crashes once a day restarts at once.
 */
export class Backoff {
  private next: number;

  constructor(private readonly opts: BackoffOptions = defaultBackoff) {
    this.next = opts.initialMs;
  }

  /** The delay before restarting a child that ran for `upForMs` before it exited. */
  delayAfter(upForMs: number): number {
    if (upForMs >= this.opts.resetAfterMs) this.next = this.opts.initialMs;
    const delay = this.next;
    this.next = Math.min(this.next * 2, this.opts.maxMs);
    return delay;
  }
}
