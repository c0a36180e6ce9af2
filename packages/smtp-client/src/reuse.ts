/**
 * Idle sessions kept for the next transaction to the same destination (Postfix's smtp_reuse.c). A session is taken
 * back only after an RSET proved it alive; one that died while idle is released and the next one tried.
 */

export interface ReusableSession {
  readonly reusable: boolean;
  /** RSET: true when the session is alive and clean. */
  rset(): Promise<boolean>;
  quit(): Promise<void>;
  destroy(): void;
}

/** A session and what frees its slot (a concurrency limit) once it is closed. */
export interface Cached<S extends ReusableSession> {
  session: S;
  release: () => void;
}

export class SessionCache<S extends ReusableSession> {
  private readonly idle = new Map<string, (Cached<S> & { timer: NodeJS.Timeout })[]>();
  private closed = false;

  /** `idleMs` 0 closes every session after its transaction. */
  constructor(private readonly idleMs: number) {}

  /** After a transaction: keeps the session under `key` for `idleMs`, or closes it. */
  put(key: string, entry: Cached<S>): void {
    if (this.idleMs <= 0 || this.closed || !entry.session.reusable) {
      void entry.session.quit().finally(entry.release);
      return;
    }
    const list = this.idle.get(key) ?? [];
    const kept = {
      ...entry,
      timer: setTimeout(() => {
        const l = this.idle.get(key);
        if (l) {
          const i = l.indexOf(kept);
          if (i >= 0) l.splice(i, 1);
          if (l.length === 0) this.idle.delete(key);
        }
        void entry.session.quit().finally(entry.release);
      }, this.idleMs),
    };
    kept.timer.unref();
    list.push(kept);
    this.idle.set(key, list);
  }

  /**
   * The most recently used live session under `key`, RSET already, or undefined. `verify: false` skips the RSET
   * round trip (over Tor, one round trip per message): the caller pipelines an RSET with its first commands and
   * treats that RSET's failure as a stale session.
   */
  async take(key: string, opts: { verify?: boolean } = {}): Promise<Cached<S> | undefined> {
    for (;;) {
      const list = this.idle.get(key);
      const entry = list?.pop();
      if (!entry) return undefined;
      if (list!.length === 0) this.idle.delete(key);
      clearTimeout(entry.timer);
      if (opts.verify === false ? entry.session.reusable : await entry.session.rset())
        return { session: entry.session, release: entry.release };
      entry.session.destroy();
      entry.release();
    }
  }

  /** Closes the longest-idle session under a key `match` accepts (its slot is wanted elsewhere); false when none. */
  dropOne(match: (key: string) => boolean): boolean {
    for (const [key, list] of this.idle) {
      if (!match(key) || list.length === 0) continue;
      const entry = list.shift()!;
      if (list.length === 0) this.idle.delete(key);
      clearTimeout(entry.timer);
      void entry.session.quit().finally(entry.release);
      return true;
    }
    return false;
  }

  /** Drops every idle session at once (shutdown); later `put`s close their session. */
  close(): void {
    this.closed = true;
    for (const list of this.idle.values()) {
      for (const e of list) {
        clearTimeout(e.timer);
        e.session.destroy();
        e.release();
      }
    }
    this.idle.clear();
  }
}
