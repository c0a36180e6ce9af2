import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duration, formatDuration, parseDuration } from '../src/duration.ts';

test('durations: units, sums, and what is not a duration', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('3d'), 259_200_000);
  assert.equal(parseDuration('1.5s'), 1500);
  for (const bad of ['', '5', 'm', '5 minutes', '-5s', '5x', 's5', '5m5']) assert.equal(parseDuration(bad), undefined, bad);
});

test('formatDuration is the shortest exact spelling', () => {
  assert.equal(formatDuration(300_000), '5m');
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(259_200_000), '3d');
  assert.equal(formatDuration(1500), '1s500ms');
  assert.equal(formatDuration(0), '0s');
});

test('the schema reads a plain number in the key unit and refuses out-of-range values with the range in words', () => {
  const s = duration({ unit: 's', min: 1000, max: 86_400_000 });
  assert.equal(s.parse(120), 120_000);
  assert.equal(s.parse('2m'), 120_000);
  const low = s.safeParse('10ms');
  assert.ok(!low.success && /between 1s and 1d, got 10ms/.test(low.error.issues[0]!.message));
  const bad = s.safeParse('soon');
  assert.ok(!bad.success && /such as 30s, 5m, 12h or 3d \(a plain number means s\)/.test(bad.error.issues[0]!.message));
  assert.ok(!s.safeParse(-1).success);
});
