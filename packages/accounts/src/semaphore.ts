/**
 * Bounds how many Argon2id computations run at once. They run on libuv's pool, off the event loop, but each one
 * keeps a CPU core and 64 MiB of memory bandwidth busy; with as many of them as cores, the event loop itself starves
 * (measured in bench/accounts). Waiting callers queue here in arrival order instead.
 */
export class Semaphore {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('semaphore limit must be a positive integer');
  }

  get waiting(): number {
    return this.queue.length;
  }

  get running(): number {
    return this.active;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}
