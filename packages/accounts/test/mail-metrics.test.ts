// The lookups' metrics (mail/metrics.ts) are kept in plain numbers; /metrics must read exactly as prom-client's own
// Counter and Histogram would have it for the same lookups.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { MailMetrics } from '../src/mail/metrics.ts';

const LOOKUPS: [protocol: 'socketmap' | 'dict' | 'http', map: string, result: 'found' | 'notfound' | 'temp', seconds?: number][] = [
  ['socketmap', 'alias', 'found', 0.0002],
  ['socketmap', 'alias', 'found', 0.0005],
  ['socketmap', 'alias', 'notfound', 0.003],
  ['socketmap', 'alias', 'temp'],
  ['socketmap', 'mailbox', 'found', 7],
  ['socketmap', 'mailbox', 'temp'],
  ['dict', 'userdb', 'found', 0.04],
  ['http', 'passdb', 'notfound', 0.6],
  ['socketmap', 'unknown', 'temp'],
];

test("the lookups' counter and histogram read as prom-client's own would for the same lookups", async () => {
  const ours = new Registry();
  const metrics = new MailMetrics(ours);
  const theirs = new Registry();
  const counter = new Counter({
    name: 'peergroup_mail_lookups_total',
    help: 'Dovecot dict and Postfix socketmap lookups by map and result (found, notfound, temp)',
    labelNames: ['protocol', 'map', 'result'],
    registers: [theirs],
  });
  const histogram = new Histogram({
    name: 'peergroup_mail_lookup_seconds',
    help: 'Time to answer a Dovecot dict or Postfix socketmap lookup',
    labelNames: ['protocol', 'map'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [theirs],
  });
  for (const [protocol, map, result, seconds] of LOOKUPS) {
    metrics.series(protocol, map).record(result, seconds);
    counter.inc({ protocol, map, result });
    if (seconds !== undefined) histogram.observe({ protocol, map }, seconds);
  }
  const lines = (text: string) => text.split('\n').filter((l) => l !== '');
  // The same lines; prom-client orders the label sets by first use, as the series are kept.
  assert.deepEqual(lines(await ours.metrics()), lines(await theirs.metrics()));
  assert.match(await ours.metrics(), /^peergroup_mail_lookup_seconds_bucket\{le="0.001",protocol="socketmap",map="alias"\} 2$/m);
  assert.match(await ours.metrics(), /^peergroup_mail_lookups_total\{protocol="socketmap",map="alias",result="temp"\} 1$/m);

  // A reset zeroes the series in place: a server that bound one before keeps counting into what /metrics shows.
  const bound = metrics.series('socketmap', 'alias');
  ours.resetMetrics();
  assert.doesNotMatch(await ours.metrics(), /map="alias"/);
  bound.record('found', 0.002);
  assert.match(await ours.metrics(), /^peergroup_mail_lookups_total\{protocol="socketmap",map="alias",result="found"\} 1$/m);
  assert.match(await ours.metrics(), /^peergroup_mail_lookup_seconds_count\{protocol="socketmap",map="alias"\} 1$/m);
});

test('a series is made once per label set and counts what is recorded into it', async () => {
  const metrics = new MailMetrics(new Registry());
  const s = metrics.series('socketmap', 'sender');
  assert.equal(metrics.series('socketmap', 'sender'), s);
  assert.notEqual(metrics.series('dict', 'sender'), s);
  s.record('found', 0.001);
  s.record('found', 10);
  assert.deepEqual(s.results, { found: 2, notfound: 0, temp: 0 });
  assert.equal(s.count, 2);
  assert.equal(s.sum, 10.001);
  // 0.001 is in the 0.001 bucket (le is "at most"), 10 only in +Inf.
  assert.deepEqual(s.buckets, [0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
});
