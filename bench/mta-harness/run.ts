// What the MTA test harness costs a test: time to start and stop a private Postfix, an Exim daemon and an SMTP sink,
// and the time from submission to arrival at the sink through each MTA (the floor under every e2e delivery test).
//   node --conditions=source --import tsx bench/mta-harness/run.ts [--runs 5]
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { startPostfix } from '@peergroup/test-support/postfix';
import { startExim, eximConfig } from '@peergroup/test-support/exim';
import { startSmtpSink } from '@peergroup/test-support/smtp-sink';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(args.runs);

const rows: Array<{ what: string; samples: number[] }> = [];
function record(what: string, ms: number): void {
  let row = rows.find((r) => r.what === what);
  if (!row) rows.push((row = { what, samples: [] }));
  row.samples.push(ms);
}
async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const v = await f();
  record(what, performance.now() - t0);
  return v;
}

const message = 'Subject: bench\r\n\r\n' + 'line of text for the benchmark\r\n'.repeat(30);

for (let i = 0; i < RUNS; i++) {
  const sink = await timed('sink start', () => startSmtpSink());
  const pf = await timed('postfix start (master -s until "daemon started")', () =>
    startPostfix({ mainCf: { relayhost: `[127.0.0.1]:${sink.port}` } }),
  );
  await timed('postfix submit → sink (SMTP in, relay out)', async () => {
    await pf.submit('a@origin.test', ['b@far.test'], message);
    await sink.waitFor(sink.messages.length + 1);
  });
  await timed('postfix stop', () => pf.stop());
  const ex = await timed('exim start (-bdf until "daemon started")', () =>
    startExim({
      config: (ctx) =>
        eximConfig(ctx, {
          routers: `s:\n  driver = manualroute\n  domains = *\n  transport = t\n  route_data = 127.0.0.1::${sink.port}\n  self = send`,
          transports: 't:\n  driver = smtp\n  allow_localhost',
        }),
    }),
  );
  await timed('exim submit → sink (SMTP in, manualroute out)', async () => {
    const n = sink.messages.length;
    await ex.submit('a@origin.test', ['b@far.test'], message);
    await sink.waitFor(n + 1);
  });
  await timed('exim stop', () => ex.stop());
  await timed('sink close', () => sink.close());
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
console.log(`MTA harness costs, ${RUNS} runs, load average ${loadavg()[0]?.toFixed(2)} (machine shared with other engineers)\n`);
console.log('| step | p50 ms | max ms |');
console.log('|---|---:|---:|');
for (const r of rows) console.log(`| ${r.what} | ${pct(r.samples, 50).toFixed(0)} | ${Math.max(...r.samples).toFixed(0)} |`);
