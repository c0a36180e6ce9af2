// Concurrent lookups of one statement coalesced into one query, the dataloader idea made consistent. On PostgreSQL a
// query costs the lookup service far more CPU than its answer does (pool checkout, the protocol round trip, its
// writes and reads: ~90 us of a ~110 us socketmap lookup, bench/mail-auth); one query for many keys pays that once.
//
// The consistency rule: a key joins only a query that has not started yet. A lookup that arrives while this
// statement's query is in flight waits for it to return and then goes out with every other key that waited, as one
// query. Every answer thus comes from a query that started after its lookup arrived, as it would unbatched: an
// alias deleted (committed) before Postfix asked never answers, unlike an answer cache, which can serve what it read
// before the deletion. A failed query fails each of its lookups (a throw, which the servers answer as TEMP).

export interface LookupBatchOptions {
  /** Keys per query at most. */
  maxKeys: number;
  /** Queries of this statement running at once at most; more lookups wait for one of them to return. */
  maxInFlight: number;
}

interface Waiter<V> {
  resolve(v: V | undefined): void;
  reject(err: unknown): void;
}

export class LookupBatch<K, V> {
  /** Keys not in any query yet, in arrival order, each with everyone who asked for it. */
  private pending = new Map<K, Waiter<V>[]>();
  private inFlight = 0;
  private scheduled = false;

  /** `run` answers a set of distinct keys with the value of each key found (absent from the map: none). */
  constructor(
    private readonly run: (keys: K[]) => Promise<Map<K, V>>,
    private readonly opts: LookupBatchOptions,
  ) {
    if (!(opts.maxKeys >= 1 && opts.maxInFlight >= 1)) throw new RangeError('LookupBatch: maxKeys and maxInFlight must be at least 1');
  }

  /** The value for `key`, undefined when there is none; rejects when the query that looked it up failed. */
  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.pending.size > 0 && this.inFlight < this.opts.maxInFlight) {
      let batch: Map<K, Waiter<V>[]>;
      if (this.pending.size <= this.opts.maxKeys) {
        batch = this.pending;
        this.pending = new Map();
      } else {
        batch = new Map();
        for (const [k, w] of this.pending) {
          batch.set(k, w);
          this.pending.delete(k);
          if (batch.size === this.opts.maxKeys) break;
        }
      }
      this.inFlight++;
      this.start(batch);
    }
  }

  private async start(batch: Map<K, Waiter<V>[]>): Promise<void> {
    try {
      const found = await this.run([...batch.keys()]);
      for (const [k, ws] of batch) for (const w of ws) w.resolve(found.get(k));
    } catch (err) {
      for (const ws of batch.values()) for (const w of ws) w.reject(err);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }
}
