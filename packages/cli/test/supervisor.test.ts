import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Backoff } from '../src/supervisor/backoff.ts';
import { ConfigHandover, handoverPath } from '../src/supervisor/handover.ts';
import { mergeExpositions } from '../src/supervisor/metrics-merge.ts';

test('restart delays double from 1 s to 60 s while a service keeps crashing, and start again after it ran a minute', () => {
  const b = new Backoff({ initialMs: 1000, maxMs: 60_000, resetAfterMs: 60_000 });
  assert.deepEqual(
    Array.from({ length: 8 }, () => b.delayAfter(100)),
    [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000],
  );
  assert.equal(b.delayAfter(59_999), 60_000, 'not yet a healthy run');
  assert.equal(b.delayAfter(60_000), 1000);
  assert.equal(b.delayAfter(0), 2000);
});

test('merged metrics: each sample labelled with its service, a family two services share written once', () => {
  const router = [
    '# HELP up_total Things.',
    '# TYPE up_total counter',
    'up_total 3',
    '# HELP lat_seconds Latency.',
    '# TYPE lat_seconds histogram',
    'lat_seconds_bucket{le="0.1"} 1',
    'lat_seconds_sum 0.05',
    'lat_seconds_count 1',
    '',
  ].join('\n');
  const relay = ['# HELP up_total Things.', '# TYPE up_total counter', 'up_total{kind="a"} 5', 'empty{} 1', ''].join('\n');
  assert.equal(
    mergeExpositions([
      { service: 'router', text: router },
      { service: 'relay', text: relay },
    ]),
    [
      '# HELP up_total Things.',
      '# TYPE up_total counter',
      'up_total{service="router"} 3',
      'up_total{service="relay",kind="a"} 5',
      '# HELP lat_seconds Latency.',
      '# TYPE lat_seconds histogram',
      'lat_seconds_bucket{service="router",le="0.1"} 1',
      'lat_seconds_sum{service="router"} 0.05',
      'lat_seconds_count{service="router"} 1',
      'empty{service="relay"} 1',
      '',
    ].join('\n'),
  );
});

test('the handover file has no name on disk, is read whole by a child as /dev/fd/3 as often as it likes, and can be rewritten', () => {
  const h = new ConfigHandover('{"router":{"a":1}}');
  try {
    const readTwice = `const fs=require('fs');process.stdout.write(fs.readFileSync('${handoverPath}','utf8')+'|'+fs.readFileSync('${handoverPath}','utf8'))`;
    const child = () =>
      spawnSync(process.execPath, ['-e', readTwice], { stdio: ['ignore', 'pipe', 'inherit', h.fd], encoding: 'utf8' }).stdout;
    assert.equal(child(), '{"router":{"a":1}}|{"router":{"a":1}}');
    h.write('{"b":2}');
    assert.equal(child(), '{"b":2}|{"b":2}', 'a shorter document leaves nothing of the longer one');
    const link = spawnSync('readlink', [`/proc/${process.pid}/fd/${h.fd}`], { encoding: 'utf8' }).stdout;
    assert.match(link, /\(deleted\)$/m);
  } finally {
    h.close();
  }
});
