// The lookups' time limit (mail/deadlines.ts): one timer for every lookup, since they share one limit.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Deadlines } from '../src/mail/deadlines.ts';

const never = () => new Promise<never>(() => {});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Nothing else holds the event loop while a lookup that never settles waits for its limit (the limit's timer is
// unref'd, the last test): without this the test runner would see the loop empty and cancel the test.
const keepAlive = setInterval(() => {}, 1000);
after(() => clearInterval(keepAlive));

test('a lookup settled in time gives its own value or its own error', async () => {
  const d = new Deadlines(1000);
  assert.equal(await d.within(Promise.resolve('bob'), 'lookup'), 'bob');
  await assert.rejects(d.within(Promise.reject(new Error('db down')), 'lookup'), /^Error: db down$/);
  assert.equal(d.size, 0);
});

test('a lookup that never settles is rejected once the limit has passed, not before', async () => {
  const d = new Deadlines(80);
  const started = performance.now();
  await assert.rejects(d.within(never(), 'passdb lookup'), /^Error: passdb lookup took longer than 80 ms$/);
  assert.ok(performance.now() - started >= 79, `rejected after ${performance.now() - started} ms`);
  assert.equal(d.size, 0);
});

test('an answer after the limit is ignored: the lookup stays a timeout', async () => {
  const d = new Deadlines(30);
  let answer!: (v: string) => void;
  const late = d.within(new Promise<string>((r) => (answer = r)), 'lookup');
  await assert.rejects(late, /took longer than 30 ms/);
  answer('too late');
  await sleep(5);
  assert.equal(d.size, 0);
});

test('fast lookups answer while an older slow one waits; each slow one expires at its own time', async () => {
  const d = new Deadlines(150);
  const t0 = performance.now();
  const slow1 = d.within(never(), 'first').catch((e: Error) => ({ e, at: performance.now() - t0 }));
  await sleep(60);
  const slow2 = d.within(never(), 'second').catch((e: Error) => ({ e, at: performance.now() - t0 }));
  const fast = await Promise.all(Array.from({ length: 100 }, (_, i) => d.within(Promise.resolve(i), 'fast')));
  assert.deepEqual(
    fast,
    Array.from({ length: 100 }, (_, i) => i),
  );
  const [a, b] = await Promise.all([slow1, slow2]);
  assert.match(a.e.message, /^first took longer/);
  assert.match(b.e.message, /^second took longer/);
  assert.ok(a.at >= 149 && b.at >= 209, `expired at ${a.at} and ${b.at} ms`);
  // The second is not held back until a later sweep: it expires near its own deadline (a generous bound for a busy machine).
  assert.ok(b.at - a.at < 200, `the second expired ${b.at - a.at} ms after the first`);
  assert.equal(d.size, 0);
});

test('the timer does not keep the process alive on its own', () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const d = new Deadlines(60_000);
  void d.within(never(), 'stuck').catch(() => {});
  assert.equal(d.size, 1);
  assert.equal(timers(), before);
});
