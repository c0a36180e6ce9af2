/**
 * The onionmx router daemon: answers Postfix tcp_table, Postfix socketmap and Exim readsocket lookups
 * from the routing decision, each protocol on its own loopback listener.
 *
 * Postfix keeps tcp_table/socketmap connections open and sends one request at a time per connection,
 * from several connections at once; replies on a connection are written strictly in request order.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { StringAnswer } from 'dns-packet';
import type { Logger } from '@peergroup/service';
import type { RouteDecision, RouteResolver } from '../routing/route-decision.ts';
import type { RunningService } from '@peergroup/service';
import { formatDuration, listen, type HostPort } from '@peergroup/service';
import type { RouterConfig } from './router-config.ts';
import { LineSplitter, formatTcpTableReply, parseTcpTableRequest, TCP_TABLE_MAX_REPLY } from '@peergroup/mta-codecs';
import { NetstringDecoder, NetstringError } from '@peergroup/mta-codecs';
import { encodeSocketmapReply, parseSocketmapRequest, SOCKETMAP_MAX_REQUEST } from '@peergroup/mta-codecs';
import { EXIM_MAX_REQUEST, eximRequestComplete, formatEximReply, parseEximRequest } from '@peergroup/mta-codecs';
import { answerFor, answerNow, type LookupAnswer, type MtaSyntax, type ReplyFormName, type ReplySettings } from './router-reply.ts';
import { createAutomapper, type Automapper } from './automap.ts';
import { routerMetrics, type RouterMetrics, type RouterProtocol } from './router-metrics.ts';
import { queryDns } from '../routing/dns-client.ts';
import { startMetricsServer } from '@peergroup/service';
import { createRouteResolver } from '../routing/routing.ts';

export interface RouterDeps {
  logger: Logger;
  registry: Registry;
  /** The routing decision; when absent the router builds one from `config.routing` with the routing core. */
  resolver?: RouteResolver & { close?: () => Promise<void> | void };
}

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

interface Listener {
  protocol: RouterProtocol;
  server: Server;
  address: HostPort;
}

export async function startRouter(config: RouterConfig, deps: RouterDeps): Promise<RunningService> {
  const { logger, registry } = deps;
  const metrics = routerMetrics(registry);
  const resolver: RouteResolver & { close?: () => Promise<void> | void } =
    deps.resolver ?? (await createRouteResolver(config.routing, { logger, registry }));
  const automapper = config.automap.dns ? buildAutomapper(config, metrics) : undefined;
  const settings: ReplySettings = { transport: config.transport, relay: config.relay, ...(automapper ? { automapper } : {}) };
  const engine = new LookupEngine(resolver, settings, metrics, logger, config.limits.lookupTimeout);

  const sockets = new Set<Socket>();
  const listeners: Listener[] = [];
  const refused = new Set<Socket>();
  const connCtx: ConnContext = { config, engine, metrics, logger, sockets, refused };
  let metricsServer: RunningService | undefined;
  try {
    if (config.tcpTable) listeners.push(await startListener('tcp_table', config.tcpTable.listen, connCtx, (s) => serveTcpTable(s, connCtx, config.tcpTable!.reply)));
    if (config.socketmap) {
      const sm = config.socketmap;
      listeners.push(await startListener('socketmap', sm.listen, connCtx, (s) => serveSocketmap(s, connCtx, sm.reply, sm.name)));
    }
    if (config.exim) listeners.push(await startListener('exim', config.exim.listen, connCtx, (s) => serveExim(s, connCtx, config.exim!.reply)));
    metricsServer = config.metrics
      ? await startMetricsServer(config.metrics.listen, [registry], () => (listeners.every((l) => l.server.listening) ? [] : ['a listener is down']))
      : undefined;
  } catch (err) {
    // A port in use (or any start-up failure) must not leave half a router running.
    await Promise.all(listeners.map((l) => closeServer(l.server)));
    engine.stop();
    if (!deps.resolver) await resolver.close?.();
    throw err;
  }

  const summary = config.logSummaryInterval > 0 ? setInterval(() => engine.logSummary(), config.logSummaryInterval) : undefined;
  summary?.unref();

  const addresses: Record<string, HostPort> = {};
  for (const l of listeners) addresses[l.protocol] = l.address;
  if (metricsServer) addresses.metrics = metricsServer.addresses.http!;
  logger.info({ addresses }, 'router listening');

  let closed: Promise<void> | undefined;
  return {
    name: 'router',
    addresses,
    close() {
      closed ??= (async () => {
        if (summary) clearInterval(summary);
        const done = Promise.all(listeners.map((l) => closeServer(l.server)));
        for (const s of [...sockets, ...refused]) s.destroy();
        await done;
        await metricsServer?.close();
        engine.stop();
        engine.logSummary();
        if (!deps.resolver) await resolver.close?.();
      })();
      return closed;
    },
  };
}

function buildAutomapper(config: RouterConfig, metrics: RouterMetrics): Automapper {
  const dns = config.automap.dns!;
  const inner = createAutomapper({
    network: config.automap.network,
    minTtl: config.automap.minTtl,
    maxTtl: config.automap.maxTtl,
    async lookupA(name) {
      const end = metrics.automapSeconds.startTimer();
      try {
        const res = await queryDns([dns], name, 'A', { timeoutMs: config.automap.timeout, retries: config.automap.retries });
        if (res.rcode !== 'NOERROR') throw new Error(`rcode ${res.rcode}`);
        const a = res.answers.filter((r): r is StringAnswer => r.type === 'A');
        return { addresses: a.map((r) => String(r.data)), ttl: a.length ? Math.min(...a.map((r) => r.ttl ?? 0)) : 0 };
      } finally {
        end();
      }
    },
  });
  return {
    async map(onion) {
      const r = await inner.map(onion);
      metrics.automapLookups.inc({ result: r.ok ? (r.cached ? 'cached' : 'resolved') : 'failed' });
      return r;
    },
  };
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
class LookupEngine {
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
      this.finish(protocol, key, started, { kind: 'notfound', reason: key.trim() === '*' ? 'no default route' : 'not a routable key' }, undefined, done);
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

  private finish(protocol: RouterProtocol, key: string, started: number, answer: LookupAnswer, decision: RouteDecision | undefined, done: Done): void {
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
      if (now - p.started >= this.timeoutMs) p.settle({ kind: 'tempfail', reason: `routing decision took longer than ${formatDuration(this.timeoutMs)}` });
    }
  }
}

interface ConnContext {
  config: RouterConfig;
  engine: LookupEngine;
  metrics: RouterMetrics;
  logger: Logger;
  sockets: Set<Socket>;
  /** Connections turned away at the limit, still draining; not counted against it. */
  refused: Set<Socket>;
}

async function startListener(protocol: RouterProtocol, at: HostPort, ctx: ConnContext, handle: (s: Socket) => void): Promise<Listener> {
  const server = createServer({ allowHalfOpen: protocol === 'exim', noDelay: true }, (socket) => {
    if (ctx.sockets.size >= ctx.config.limits.maxConnections) {
      ctx.metrics.refusedConnections.inc({ protocol });
      ctx.logger.warn({ protocol, limit: ctx.config.limits.maxConnections }, 'connection refused: limits.maxConnections reached');
      // A tempfail the MTA understands, so it retries instead of treating the table as broken.
      socket.on('error', () => {});
      // Read and discard what the client sends, so its FIN is seen and the socket really closes.
      socket.resume();
      socket.setTimeout(5000, () => socket.destroy());
      ctx.refused.add(socket);
      socket.once('close', () => ctx.refused.delete(socket));
      socket.end(protocol === 'tcp_table' ? '400 too many connections\n' : protocol === 'socketmap' ? encodeSocketmapReply({ status: 'TEMP', text: 'too many connections' }) : formatEximReply({ kind: 'tempfail', reason: 'too many connections' }));
      return;
    }
    ctx.sockets.add(socket);
    ctx.metrics.connections.inc({ protocol });
    ctx.metrics.openConnections.inc({ protocol });
    socket.once('close', () => {
      ctx.sockets.delete(socket);
      ctx.metrics.openConnections.dec({ protocol });
    });
    socket.on('error', (err) => ctx.logger.debug({ protocol, err: err.message }, 'client connection error'));
    handle(socket);
  });
  const configKey = { tcp_table: 'tcpTable.listen', socketmap: 'socketmap.listen', exim: 'exim.listen' }[protocol];
  const address = await listen(server, at, configKey);
  server.on('error', (err) => ctx.logger.error({ protocol, err: err.message }, 'listener error'));
  return { protocol, server, address };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

function protocolError(ctx: ConnContext, socket: Socket, protocol: RouterProtocol, reason: string, code: string, closing = false): void {
  ctx.metrics.protocolErrors.inc({ protocol, reason: code });
  ctx.engine.count(protocol, 'error');
  ctx.logger.warn({ protocol, remote: `${socket.remoteAddress}:${socket.remotePort}`, reason, closing }, closing ? 'malformed request, closing the connection' : 'malformed request');
}

/**
 * Replies leave in request order even though lookups finish out of order: each request takes a slot, and slots
 * are written from the head as soon as they are filled. Postfix sends one request at a time, so the queue is
 * usually one slot long and the reply is written the moment its lookup finishes.
 */
class OrderedWriter {
  private readonly slots: { data: string | Buffer | undefined; after?: () => void }[] = [];
  constructor(private readonly socket: Socket) {}

  /** Reserves the next slot; call the returned function with the reply when it is ready. */
  reserve(): (data: string | Buffer) => void {
    const slot: { data: string | Buffer | undefined; after?: () => void } = { data: undefined };
    this.slots.push(slot);
    return (data) => {
      slot.data = data;
      this.flush();
    };
  }

  push(data: string | Buffer): void {
    this.reserve()(data);
  }

  /** Runs `fn` once every reply reserved so far has been written. */
  then(fn: () => void): void {
    if (this.slots.length === 0) fn();
    else this.slots.push({ data: '', after: fn });
    this.flush();
  }

  private flush(): void {
    while (this.slots.length > 0 && this.slots[0]!.data !== undefined) {
      const slot = this.slots.shift()!;
      if (slot.after) slot.after();
      else if (!this.socket.destroyed) this.socket.write(slot.data!);
    }
  }
}

function armIdle(socket: Socket, ctx: ConnContext, protocol: RouterProtocol): void {
  socket.setTimeout(ctx.config.limits.idleTimeout, () => {
    ctx.logger.debug({ protocol }, 'closing idle connection');
    socket.end();
  });
}

function serveTcpTable(socket: Socket, ctx: ConnContext, form: ReplyFormName): void {
  armIdle(socket, ctx, 'tcp_table');
  const splitter = new LineSplitter(TCP_TABLE_MAX_REPLY);
  const out = new OrderedWriter(socket);
  socket.on('data', (chunk: Buffer) => {
    const { lines, overflow } = splitter.push(chunk);
    for (const line of lines) {
      const req = parseTcpTableRequest(line);
      if (!req.ok) {
        protocolError(ctx, socket, 'tcp_table', req.reason, 'bad_request');
        // tcp_table has no framing to lose: answer this request with 400 and keep the connection.
        out.push(formatTcpTableReply({ status: 400, text: `bad request: ${req.reason}` }));
        continue;
      }
      const reply = out.reserve();
      ctx.engine.lookup('tcp_table', req.key, form, 'postfix', (a) =>
        reply(
          formatTcpTableReply(
            a.kind === 'found' ? { status: 200, text: a.data } : a.kind === 'notfound' ? { status: 500, text: a.reason } : { status: 400, text: a.reason },
          ),
        ),
      );
    }
    if (overflow) {
      protocolError(ctx, socket, 'tcp_table', `request line longer than ${TCP_TABLE_MAX_REPLY} bytes`, 'line_too_long', true);
      socket.pause();
      out.push(formatTcpTableReply({ status: 400, text: 'request too long' }));
      out.then(() => socket.end());
    }
  });
}

function serveSocketmap(socket: Socket, ctx: ConnContext, form: ReplyFormName, mapName: string): void {
  armIdle(socket, ctx, 'socketmap');
  const decoder = new NetstringDecoder(SOCKETMAP_MAX_REQUEST);
  const out = new OrderedWriter(socket);
  socket.on('data', (chunk: Buffer) => {
    let frames: Buffer[];
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      // Without framing the stream cannot be resynchronised: drop this connection only.
      protocolError(ctx, socket, 'socketmap', (err as NetstringError).message, 'bad_netstring', true);
      socket.pause();
      out.then(() => socket.destroy());
      return;
    }
    for (const frame of frames) {
      const req = parseSocketmapRequest(frame);
      if (!req.ok) {
        protocolError(ctx, socket, 'socketmap', req.reason, 'bad_request');
        out.push(encodeSocketmapReply({ status: 'PERM', text: `bad request: ${req.reason}` }));
        continue;
      }
      if (req.name !== mapName) {
        protocolError(ctx, socket, 'socketmap', `unknown map name "${req.name}"`, 'unknown_map');
        out.push(encodeSocketmapReply({ status: 'PERM', text: `unknown map name "${req.name}", this router serves "${mapName}"` }));
        continue;
      }
      const reply = out.reserve();
      ctx.engine.lookup('socketmap', req.key, form, 'postfix', (a) =>
        reply(
          encodeSocketmapReply(
            a.kind === 'found' ? { status: 'OK', text: a.data } : a.kind === 'notfound' ? { status: 'NOTFOUND', text: '' } : { status: 'TEMP', text: a.reason },
          ),
        ),
      );
    }
  });
}

function serveExim(socket: Socket, ctx: ConnContext, form: ReplyFormName): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let answered = false;
  const timer = setTimeout(() => {
    if (answered) return;
    answered = true;
    protocolError(ctx, socket, 'exim', `no complete request within ${formatDuration(ctx.config.limits.requestTimeout)}`, 'timeout', true);
    socket.destroy();
  }, ctx.config.limits.requestTimeout);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // After the reply our side is closed; a client that never closes its side is dropped once idle.
  socket.setTimeout(ctx.config.limits.requestTimeout, () => socket.destroy());

  const answer = () => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    const req = parseEximRequest(Buffer.concat(chunks, size));
    if (!req.ok) {
      protocolError(ctx, socket, 'exim', req.reason, 'bad_request', true);
      socket.end(formatEximReply({ kind: 'tempfail', reason: `bad request: ${req.reason}` }));
      return;
    }
    ctx.engine.lookup('exim', req.key, form, 'exim', (a) => {
      if (!socket.destroyed) socket.end(formatEximReply(a));
    });
  };
  socket.on('data', (chunk: Buffer) => {
    if (answered) return;
    chunks.push(chunk);
    size += chunk.length;
    if (size > EXIM_MAX_REQUEST) {
      answered = true;
      clearTimeout(timer);
      protocolError(ctx, socket, 'exim', `request longer than ${EXIM_MAX_REQUEST} bytes`, 'too_long', true);
      socket.end(formatEximReply({ kind: 'tempfail', reason: 'request too long' }));
      return;
    }
    if (eximRequestComplete(chunk)) answer();
  });
  // Exim half-closes after writing; a request ended by EOF alone is complete too.
  socket.on('end', answer);
}
