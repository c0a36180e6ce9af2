/**
 * The path every lookup takes, whichever protocol asked: MTA key → routing decision → reply-form answer, with a
 * deadline and accounting (metrics, the periodic summary, the per-lookup debug line).
 */
import type { Logger } from '@peergroup/service';
import { formatDuration } from '@peergroup/service';
import type { RouteDecision, RouteResolver } from '../routing/route-decision.ts';
import { answerFor, answerNow, type LookupAnswer, type MtaSyntax, type ReplyFormName, type ReplySettings } from './router-reply.ts';
import type { RouterMetrics, RouterProtocol } from './router-metrics.ts';

/** Turns an MTA lookup key into what the routing decision is asked about; undefined = never routed. */
export function lookupSubject(key: string): string | undefined {
  const k = key.trim().toLowerCase();
  // trivial-rewrite probes `*` at start-up; `.parent.domain` keys are Postfix's parent-domain matching,
  // which must not route a whole tree because one domain in it is onion-routed.
  if (k === '' || k === '*' || k.startsWith('.')) return undefined;
  const at = k.lastIndexOf('@');
  const domain = at >= 0 ? k.slice(at + 1) : k;
  return domain === '' ? undefined : domain.replace(/\.$/, '');
}

type Done = (answer: LookupAnswer) => void;

interface PendingLookup {
  started: number;
  settle: (answer: LookupAnswer, decision?: RouteDecision) => void;
}

/**
 * Routing decision → answer, with a deadline and accounting. Shared by all listeners. Callback-style and
 * synchronous wherever possible: this is the path every lookup takes, and promises per step cost throughput.
 */
export class LookupEngine {
  private readonly pending = new Set<PendingLookup>();
  private readonly sweeper: NodeJS.Timeout;
  private counts = { found: 0, notfound: 0, tempfail: 0, error: 0 };
  /** prom-client label resolution is costly per call; bind each (protocol, result) child once. */
  private readonly bound = new Map<string, { inc: () => void }>();
  private readonly durations = new Map<RouterProtocol, { observe: (v: number) => void }>();

  constructor(
    private readonly resolver: RouteResolver,
    private readonly settings: ReplySettings,
    private readonly metrics: RouterMetrics,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {
    // One timer for every in-flight lookup instead of one per lookup.
    this.sweeper = setInterval(() => this.sweep(), Math.min(1000, Math.max(50, timeoutMs / 4)));
    this.sweeper.unref();
  }

  lookup(protocol: RouterProtocol, key: string, form: ReplyFormName, syntax: MtaSyntax, done: Done): void {
    const started = performance.now();
    const subject = lookupSubject(key);
    if (subject === undefined) {
      this.finish(
        protocol,
        key,
        started,
        { kind: 'notfound', reason: key.trim() === '*' ? 'no default route' : 'not a routable key' },
        undefined,
        done,
      );
      return;
    }
    let settled = false;
    const settle = (a: LookupAnswer, d?: RouteDecision) => {
      if (settled) return;
      settled = true;
      this.pending.delete(p);
      this.finish(protocol, key, started, a, d, done);
    };
    const p: PendingLookup = { started, settle };
    this.pending.add(p);
    let decided: Promise<RouteDecision>;
    try {
      decided = this.resolver.decide(subject);
    } catch (err) {
      settle({ kind: 'tempfail', reason: `routing failed: ${(err as Error).message}` });
      return;
    }
    decided.then(
      (d) => {
        const now = answerNow(d, form, this.settings, syntax);
        if (now) settle(now, d);
        else
          answerFor(d, form, this.settings, syntax).then(
            (a) => settle(a, d),
            (err: unknown) => settle({ kind: 'tempfail', reason: `reply failed: ${(err as Error).message}` }, d),
          );
      },
      (err: unknown) => settle({ kind: 'tempfail', reason: `routing failed: ${(err as Error).message}` }),
    );
  }

  private finish(
    protocol: RouterProtocol,
    key: string,
    started: number,
    answer: LookupAnswer,
    decision: RouteDecision | undefined,
    done: Done,
  ): void {
    const seconds = (performance.now() - started) / 1000;
    this.count(protocol, answer.kind);
    let h = this.durations.get(protocol);
    if (!h) this.durations.set(protocol, (h = this.metrics.lookupSeconds.labels(protocol)));
    h.observe(seconds);
    if (this.logger.isLevelEnabled('debug')) {
      this.logger.debug(
        {
          protocol,
          key,
          result: answer.kind,
          ...(answer.kind === 'found' ? { data: answer.data } : { reason: answer.reason }),
          ...(decision?.kind === 'onion' ? { source: decision.source, dnssec: decision.dnssec } : {}),
          ms: Math.round(seconds * 1e5) / 100,
        },
        'lookup',
      );
    }
    done(answer);
  }

  count(protocol: RouterProtocol, result: LookupAnswer['kind'] | 'error'): void {
    const k = `${protocol}/${result}`;
    let c = this.bound.get(k);
    if (!c) this.bound.set(k, (c = this.metrics.lookups.labels(protocol, result)));
    c.inc();
    this.counts[result]++;
  }

  logSummary(): void {
    const c = this.counts;
    if (c.found + c.notfound + c.tempfail + c.error === 0) return;
    this.logger.info({ lookups: { ...c } }, 'lookup summary');
    this.counts = { found: 0, notfound: 0, tempfail: 0, error: 0 };
  }

  stop(): void {
    clearInterval(this.sweeper);
    for (const p of [...this.pending]) p.settle({ kind: 'tempfail', reason: 'router shutting down' });
  }

  private sweep(): void {
    const now = performance.now();
    for (const p of [...this.pending]) {
      if (now - p.started >= this.timeoutMs)
        p.settle({ kind: 'tempfail', reason: `routing decision took longer than ${formatDuration(this.timeoutMs)}` });
    }
  }
}
