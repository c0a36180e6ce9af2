// The lookups' time limit (mailboxes.lookupTimeout): a slow or stuck database becomes a temporary failure that
// Postfix and Dovecot retry, never a lookup that hangs. Every lookup has the same limit, so the oldest unsettled one
// is always the next to expire: one timer serves them all, set for the oldest. A timer and a Promise.race per lookup
// (what this replaced) cost about a tenth of a socketmap lookup's CPU (bench/mail-auth).

class Entry {
  settled = false;
  constructor(
    /** performance.now() after which the lookup has expired. */
    readonly at: number,
    readonly what: string,
    readonly reject: (err: Error) => void,
  ) {}
}

// No function is made per lookup beyond the promise's own callbacks: a named closure would also cost an
// esbuild keepNames call each time (the bundle keeps names for stack traces).
export class Deadlines {
  /** Lookups in start order; settled ones leave from the head. */
  private readonly queue: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly ms: number) {}

  /** `p`, or a rejection naming `what` once the limit has passed (p's own outcome is then ignored). */
  within<T>(p: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const e = new Entry(performance.now() + this.ms, what, reject);
      this.queue.push(e);
      this.timer ??= this.arm();
      p.then(
        (v) => {
          if (this.settle(e)) resolve(v);
        },
        (err: unknown) => {
          if (this.settle(e)) reject(err);
        },
      );
    });
  }

  /** True when `e` was still in time (and is now settled). */
  private settle(e: Entry): boolean {
    if (e.settled) return false;
    e.settled = true;
    this.dropSettled();
    return true;
  }

  /** How many lookups the queue holds (settled ones behind an unsettled head included). */
  get size(): number {
    return this.queue.length;
  }

  private dropSettled(): void {
    while (this.queue.length > 0 && this.queue[0]!.settled) this.queue.shift();
  }

  // Unref'd: the lookups' own sockets and queries keep the process alive, the limit alone must not delay its exit.
  private arm(): NodeJS.Timeout {
    return setTimeout(() => this.expireDue(), Math.max(1, Math.ceil(this.queue[0]!.at - performance.now()))).unref();
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = performance.now();
    this.dropSettled();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      const e = this.queue.shift()!;
      e.settled = true;
      e.reject(new Error(`${e.what} took longer than ${this.ms} ms`));
      this.dropSettled();
    }
    if (this.queue.length > 0) this.timer = this.arm();
  }
}
