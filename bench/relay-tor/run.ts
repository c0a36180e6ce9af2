/**
 * bench/relay-tor: mail over a private Tor network (same machine, same run), real Postfix delivering to onion MXs
 * (smtp-sink behind ADD_ONION onions) two ways, side by side:
 *   relay     Postfix → router (socketmap, relay form) → LMTP → peergroup relay (own process) → Tor
 *   torsocks  Postfix → router (socketmap, direct form) → smtptor (smtp(8) with torsocks preloaded, the howtos' lines
 *             from docs/snippets/postfix-torsocks-*.cf) → Tor
 * for small and large messages, to one onion MX and spread over several. Reported: messages/s (first submission to
 * last arrival), p50/p99 latency from submission to the sink, circuits the Tor client built (CIRC BUILT events), CPU
 * of the relay process and of Postfix's delivery agents (lmtp for the relay path, the torsocks'd smtp processes).
 * Ratios relay / torsocks are of the same run.
 * --fault: both paths again with the Tor client restarted mid-run and one onion MX down until the end; then the MX
 * comes back, the queue is flushed until empty, and every Message-ID is counted at the sinks (none lost, none twice).
 * Run: node --conditions=source --import tsx bench/relay-tor/run.ts [--small N] [--small-kb KB] [--large N]
 *      [--large-mb MB] [--mxs N] [--paths relay,torsocks] [--fault] [--relay-config JSON]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { routerConfigSchema, startRouter } from '@peergroup/onionmx';
import { silentLogger, type RunningService } from '@peergroup/service';
import { startTornet, TorControl, type Tornet } from '@peergroup/tornet';
import { startPostfix, type Postfix } from '@peergroup/test-support/postfix';
import { headerValues, startSmtpSink, type SmtpSink } from '@peergroup/test-support/smtp-sink';
import { mainCfFromSnippet, snippet } from '@peergroup/test-support/snippets';

const { values: argv } = parseArgs({
  options: {
    small: { type: 'string', default: '200' },
    'small-kb': { type: 'string', default: '10' },
    large: { type: 'string', default: '20' },
    'large-mb': { type: 'string', default: '1' },
    mxs: { type: 'string', default: '10' },
    paths: { type: 'string', default: 'relay,torsocks' },
    fault: { type: 'boolean', default: false },
    'relay-config': { type: 'string', default: '{}' },
  },
});
const SMALL = Number(argv.small);
const SMALL_BYTES = Number(argv['small-kb']) * 1024;
const LARGE = Number(argv.large);
const LARGE_BYTES = Number(argv['large-mb']) * 1024 * 1024;
const MXS = Number(argv.mxs);
const PATHS = argv.paths.split(',') as ('relay' | 'torsocks')[];
const TORSOCKS_LIBRARY = '/usr/lib/x86_64-linux-gnu/torsocks/libtorsocks.so';
type PathName = 'relay' | 'torsocks';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'bench-relay-tor-'));
const cleanups: (() => Promise<unknown> | unknown)[] = [];
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** user+system CPU seconds of a process (/proc/<pid>/stat utime + stime), 0 once it is gone. */
function cpuOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU of the delivery agents (`names`) among a Postfix master's children, polled: an agent's last reading counts
 * once it has exited. Postfix keeps agents for many deliveries (max_idle), so little is missed between polls.
 */
function agentCpu(pf: Postfix, names: string[]): { stop(): number } {
  const masterPid = Number(readFileSync(join(pf.dir, 'queue', 'pid', 'master.pid'), 'utf8').trim());
  const seen = new Map<number, { start: number; last: number }>();
  const poll = () => {
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      const pid = Number(e);
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const comm = /\((.*)\)/.exec(stat)![1]!;
        const f = stat.replace(/^.*\) /, '').split(' ');
        if (Number(f[1]) !== masterPid || !names.includes(comm)) continue;
        const cpu = (Number(f[11]) + Number(f[12])) / 100;
        const s = seen.get(pid);
        if (s) s.last = cpu;
        else seen.set(pid, { start: cpu, last: cpu });
      } catch {
        // gone meanwhile
      }
    }
  };
  poll();
  const timer = setInterval(poll, 200);
  return {
    stop() {
      poll();
      clearInterval(timer);
      let sum = 0;
      for (const s of seen.values()) sum += s.last - s.start;
      return sum;
    },
  };
}

/** Counts the circuits the Tor client builds (CIRC … BUILT events), all and rendezvous (one per onion connection set-up). */
class CircuitCounter {
  all = 0;
  rend = 0;
  private control: TorControl | undefined;
  constructor(private readonly net: Tornet) {}
  /** (Re)connects to the client's control port: after a client restart the old connection is gone. */
  async connect(): Promise<void> {
    this.control?.close();
    this.control = await TorControl.connect(this.net.clientControl);
    this.control.onEvent((line) => {
      if (!/^CIRC \d+ BUILT /.test(line)) return;
      this.all++;
      if (/PURPOSE=HS_CLIENT_REND/.test(line)) this.rend++;
    });
    await this.control.command('SETEVENTS CIRC');
  }
  reset(): void {
    this.all = 0;
    this.rend = 0;
  }
  close(): void {
    this.control?.close();
  }
}

function message(id: string, to: string, bytes: number): Buffer {
  const head = `From: bench@pf.test\r\nTo: ${to}\r\nSubject: bench ${id}\r\nMessage-ID: <${id}@pf.test>\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\n`;
  const line = 'the quick brown fox jumps over the lazy dog, again and again and again and again.\r\n';
  const body = line.repeat(Math.max(1, Math.ceil((bytes - head.length) / line.length)));
  return Buffer.from(head + '.a leading dot\r\n' + body);
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
}

/** Message-ID → arrival time, over every sink. */
function arrivals(sinks: SmtpSink[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const s of sinks) {
    for (const m of s.messages) {
      const id =
        headerValues(m.data, 'Message-ID')[0]
          ?.trim()
          .replace(/^<|@pf\.test>$/g, '') ?? '';
      out.set(id, [...(out.get(id) ?? []), m.receivedAt.getTime()]);
    }
  }
  return out;
}

// ---- set-up: Tor network, sinks behind onions, routers, relay process, two Postfix instances ----
const t0 = Date.now();
const net = await startTornet({ relays: 2 });
cleanups.push(() => net.stop());
const sinks = await Promise.all(Array.from({ length: MXS }, (_, i) => startSmtpSink({ name: `mx${i}.test`, socketTimeout: 600_000 })));
const onions = await Promise.all(sinks.map((s) => net.addOnion({ host: '127.0.0.1', port: s.port })));
const domains = sinks.map((_, i) => `d${i}.test`);
const mapFile = join(dir, 'onion.map');
writeFileSync(mapFile, domains.map((d, i) => `${d} ${onions[i]!.hostname}`).join('\n') + '\n');
console.error(`tornet and ${MXS} onions ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const relayChild = spawn(
  process.execPath,
  [
    '--conditions=source',
    '--import',
    'tsx',
    new URL('./relay-process.ts', import.meta.url).pathname,
    `${net.socks.host}:${net.socks.port}`,
    mapFile,
    argv['relay-config'],
  ],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
process.on('exit', () => relayChild.kill('SIGKILL'));
const relayPort = await new Promise<number>((resolve, reject) => {
  let out = '';
  relayChild.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    const m = /lmtp (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  relayChild.once('exit', (c) => reject(new Error(`relay process exited ${c}`)));
});

const routing = { srv: false, watchMaps: false, maps: [{ path: mapFile }], ownDomains: ['pf.test'] };
const router: RunningService = await startRouter(
  routerConfigSchema.parse({
    routing,
    socketmap: { listen: '127.0.0.1:0', reply: 'relay' },
    tcpTable: { listen: '127.0.0.1:0', reply: 'direct' },
    relay: { address: `127.0.0.1:${relayPort}`, protocol: 'lmtp' },
    logSummaryInterval: 0,
  }),
  { logger: silentLogger(), registry: new Registry() },
);
cleanups.push(() => router.close());

// Both: quick retries so the fault run's deferred mail comes back within the run; nothing else tuned.
const pacing = {
  minimal_backoff_time: '2s',
  maximal_backoff_time: '4s',
  queue_run_delay: '2s',
  default_transport: 'error:no cleartext route in this bench',
};
const postfixes: Partial<Record<PathName, Postfix>> = {};
if (PATHS.includes('relay')) {
  postfixes.relay = await startPostfix({
    name: 'pf-relay.test',
    mainCf: {
      ...mainCfFromSnippet(snippet('postfix-relay-main.cf'), { '127.0.0.1:23001': `127.0.0.1:${router.addresses.socketmap!.port}` }),
      ...pacing,
    },
  });
  cleanups.push(() => postfixes.relay!.stop());
}
if (PATHS.includes('torsocks')) {
  writeFileSync(
    join(dir, 'torsocks.conf'),
    snippet('torsocks.conf').replace('127.0.0.1', net.socks.host).replace('9050', String(net.socks.port)),
  );
  const torsocksMain = mainCfFromSnippet(snippet('postfix-torsocks-main.cf'), {
    '/etc/peergroup/torsocks.conf': join(dir, 'torsocks.conf'),
  });
  // The router's direct form over tcp_table answers smtptor:[onion]:25 (the socketmap listener is the relay form here).
  postfixes.torsocks = await startPostfix({
    name: 'pf-torsocks.test',
    mainCf: { ...torsocksMain, transport_maps: `tcp:127.0.0.1:${router.addresses.tcp_table!.port}`, ...pacing },
    masterCf: snippet('postfix-torsocks-master.cf').trimEnd().split('\n'),
  });
  if (!torsocksMain.import_environment?.includes(TORSOCKS_LIBRARY))
    throw new Error('the torsocks snippet no longer preloads the Debian library');
  cleanups.push(() => postfixes.torsocks!.stop());
}
const circuits = new CircuitCounter(net);
await circuits.connect();
cleanups.push(() => circuits.close());

// ---- one run ----
interface Result {
  path: PathName;
  label: string;
  n: number;
  delivered: number;
  duplicates: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  circuits: number;
  rendCircuits: number;
  relayCpu: number;
  agentCpu: number;
}

let runNo = 0;
async function run(
  path: PathName,
  label: string,
  n: number,
  bytes: number,
  mxs: number,
  fault?: (progress: () => number) => Promise<void>,
): Promise<Result> {
  const pf = postfixes[path]!;
  const tag = `r${++runNo}-${path}`;
  for (const s of sinks) s.messages.length = 0;
  circuits.reset();
  const agents = agentCpu(pf, path === 'relay' ? ['lmtp'] : ['smtp']);
  const relay0 = cpuOf(relayChild.pid!);
  const submitted = new Map<string, number>();
  const start = Date.now();
  // Four submitting connections, as a small site's users would; Postfix queues and delivers meanwhile.
  let next = 0;
  const submitters = Array.from({ length: 4 }, async () => {
    for (let i = next++; i < n; i = next++) {
      const id = `${tag}-${i}`;
      const to = `u${i}@${domains[i % mxs]}`;
      submitted.set(id, Date.now());
      await pf.submit('bench@pf.test', [to], message(id, to, bytes));
    }
  });
  const delivered = () => {
    let k = 0;
    for (const s of sinks) k += s.messages.length;
    return k;
  };
  const faultDone = fault ? fault(delivered) : Promise.resolve();
  await Promise.all(submitters);
  await faultDone;
  // Wait for every message (the fault run: flush until Postfix's queue is empty).
  const deadline = Date.now() + (fault ? 600_000 : 300_000);
  let lastFlush = 0;
  for (;;) {
    const got = arrivals(sinks);
    if ([...submitted.keys()].every((id) => got.has(id))) {
      if (!fault || (await pf.queue()).length === 0) break;
    }
    if (Date.now() > deadline) break;
    if (fault && Date.now() - lastFlush > 5000) {
      lastFlush = Date.now();
      await pf.flush();
    }
    await sleep(100);
  }
  const seconds = (Date.now() - start) / 1000;
  const got = arrivals(sinks);
  const latencies: number[] = [];
  let last = start;
  let duplicates = 0;
  let arrived = 0;
  for (const [id, at] of submitted) {
    const times = got.get(id);
    if (!times) continue;
    arrived++;
    duplicates += times.length - 1;
    latencies.push(times[0]! - at);
    last = Math.max(last, times[0]!);
  }
  const c = { all: circuits.all, rend: circuits.rend };
  return {
    path,
    label,
    n,
    delivered: arrived,
    duplicates,
    seconds,
    perSecond: arrived / ((last - start) / 1000),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    circuits: c.all,
    rendCircuits: c.rend,
    relayCpu: path === 'relay' ? cpuOf(relayChild.pid!) - relay0 : 0,
    agentCpu: agents.stop(),
  };
}

const scenarios = [
  { label: `${SMALL} x ${SMALL_BYTES / 1024} KB, 1 onion MX`, n: SMALL, bytes: SMALL_BYTES, mxs: 1 },
  { label: `${SMALL} x ${SMALL_BYTES / 1024} KB, ${MXS} onion MXs`, n: SMALL, bytes: SMALL_BYTES, mxs: MXS },
  { label: `${LARGE} x ${LARGE_BYTES / 1048576} MB, 1 onion MX`, n: LARGE, bytes: LARGE_BYTES, mxs: 1 },
  { label: `${LARGE} x ${LARGE_BYTES / 1048576} MB, ${MXS} onion MXs`, n: LARGE, bytes: LARGE_BYTES, mxs: MXS },
].filter((s) => s.n > 0);

// Warm-up: a few messages each way, so descriptors are fetched and the first circuits exist for both alike.
for (const p of PATHS) await run(p, 'warm-up', Math.min(MXS, 10), 2048, MXS);

const results: Result[] = [];
for (const s of scenarios) {
  // Alternate which path goes first, so machine noise hits both alike.
  const order = results.length % 2 === 0 ? PATHS : [...PATHS].reverse();
  for (const p of order) {
    const r = await run(p, s.label, s.n, s.bytes, s.mxs);
    results.push(r);
    console.error(`${r.label} ${r.path}: ${r.delivered}/${r.n} in ${r.seconds.toFixed(1)} s`);
  }
}

// ---- report ----
const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
console.log(
  `\nbench/relay-tor — Postfix over a private Tor network (${net.pids.length} tor processes), relay vs smtptor under torsocks; Node ${process.version}, ${cpus().length} cores, load ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(`relay config: ${argv['relay-config']}\n`);
console.log(
  '| messages                     | path     | delivered | msg/s  | p50 s  | p99 s  | circuits (rend) | relay CPU s | agents CPU s |',
);
console.log(
  '|------------------------------|----------|-----------|--------|--------|--------|-----------------|-------------|--------------|',
);
for (const r of results) {
  console.log(
    `| ${r.label.slice(0, 28).padEnd(28)} | ${r.path.padEnd(8)} | ${`${r.delivered}/${r.n}${r.duplicates ? ` +${r.duplicates}` : ''}`.padStart(9)} | ${fmt(r.perSecond, 2).padStart(6)} | ${fmt(r.p50 / 1000, 2).padStart(6)} | ${fmt(r.p99 / 1000, 2).padStart(6)} | ${`${r.circuits} (${r.rendCircuits})`.padStart(15)} | ${fmt(r.relayCpu, 2).padStart(11)} | ${fmt(r.agentCpu, 2).padStart(12)} |`,
  );
}
if (PATHS.length === 2) {
  console.log(
    '\n| messages                     | msg/s relay / torsocks | p50 torsocks / relay | circuits relay / torsocks | CPU relay path / torsocks path |',
  );
  console.log(
    '|------------------------------|------------------------|----------------------|---------------------------|--------------------------------|',
  );
  for (const s of scenarios) {
    const a = results.find((r) => r.label === s.label && r.path === 'relay')!;
    const b = results.find((r) => r.label === s.label && r.path === 'torsocks')!;
    const goal = s.bytes <= 64 * 1024 ? 'goal >= 3' : 'goal >= 1';
    console.log(
      `| ${s.label.slice(0, 28).padEnd(28)} | ${`${fmt(a.perSecond / b.perSecond, 2)}  ${goal}`.padStart(22)} | ${fmt(b.p50 / a.p50, 2).padStart(20)} | ${`${a.circuits} / ${b.circuits}`.padStart(25)} | ${fmt((a.relayCpu + a.agentCpu) / b.agentCpu, 2).padStart(30)} |`,
    );
  }
}
const faults: Result[] = [];
if (argv.fault) {
  for (const p of PATHS) {
    const downIdx = MXS - 1;
    const down = sinks[downIdx]!;
    const downPort = down.port;
    const r = await run(p, `fault ${SMALL} x ${SMALL_BYTES / 1024} KB, ${MXS} MXs`, SMALL, SMALL_BYTES, MXS, async (progress) => {
      await down.close();
      while (progress() < SMALL / 4) await sleep(50);
      await net.stopClient();
      await sleep(3000);
      await net.startClient();
      await circuits.connect();
      // The live MXs' share delivered (Postfix retries what the Tor restart deferred), or a minute at most.
      const until = Date.now() + 60_000;
      while (progress() < (SMALL * (MXS - 1)) / MXS - 1 && Date.now() < until) {
        await sleep(2000);
        await postfixes[p]!.flush();
      }
      await sleep(5000);
      sinks[downIdx] = await startSmtpSink({ name: `mx${downIdx}.test`, port: downPort, socketTimeout: 600_000 });
    });
    faults.push(r);
    console.error(`${r.label} ${r.path}: ${r.delivered}/${r.n}, ${r.duplicates} twice, in ${r.seconds.toFixed(1)} s`);
  }
}

if (faults.length) {
  console.log(
    `\nFault runs: Tor client stopped for 3 s after a quarter was delivered, mx${MXS - 1} down until the rest arrived; then flushed until the queue was empty. Goal: none lost, none twice (+N).`,
  );
  console.log(
    '| run                          | path     | delivered | msg/s  | p50 s  | p99 s  | circuits (rend) | relay CPU s | agents CPU s |',
  );
  console.log(
    '|------------------------------|----------|-----------|--------|--------|--------|-----------------|-------------|--------------|',
  );
  for (const r of faults) {
    console.log(
      `| ${r.label.slice(0, 28).padEnd(28)} | ${r.path.padEnd(8)} | ${`${r.delivered}/${r.n}${r.duplicates ? ` +${r.duplicates}` : ''}`.padStart(9)} | ${fmt(r.perSecond, 2).padStart(6)} | ${fmt(r.p50 / 1000, 2).padStart(6)} | ${fmt(r.p99 / 1000, 2).padStart(6)} | ${`${r.circuits} (${r.rendCircuits})`.padStart(15)} | ${fmt(r.relayCpu, 2).padStart(11)} | ${fmt(r.agentCpu, 2).padStart(12)} |`,
    );
  }
  for (const f of faults) {
    const q = await postfixes[f.path]!.queue();
    console.log(
      `- ${f.path}: ${f.n - f.delivered} lost, ${f.duplicates} duplicated, Postfix queue ${q.length === 0 ? 'empty' : `${q.length} left`}`,
    );
  }
}

relayChild.kill('SIGTERM');
for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
process.exit(0);
