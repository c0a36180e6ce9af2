import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseLogFormat, createLogger, humanLogLine } from '../src/log.ts';

describe('log format choice', () => {
  it('a terminal command logs sentences on a TTY, JSON on a pipe or with --json; daemons always JSON', () => {
    assert.equal(chooseLogFormat({ kind: 'terminal', isTTY: true }), 'human');
    assert.equal(chooseLogFormat({ kind: 'terminal', isTTY: false }), 'json');
    assert.equal(chooseLogFormat({ kind: 'terminal', isTTY: true, json: true }), 'json');
    assert.equal(chooseLogFormat({ kind: 'daemon', isTTY: true }), 'json');
  });

  it('PEERGROUP_LOG_FORMAT overrides the guess, but not --json; other values are ignored', () => {
    assert.equal(chooseLogFormat({ kind: 'terminal', isTTY: false, env: 'human' }), 'human');
    assert.equal(chooseLogFormat({ kind: 'daemon', isTTY: false, env: 'human' }), 'human');
    assert.equal(chooseLogFormat({ kind: 'terminal', isTTY: true, env: 'json' }), 'json');
    assert.equal(chooseLogFormat({ kind: 'terminal', isTTY: false, env: 'human', json: true }), 'json');
    assert.equal(chooseLogFormat({ kind: 'terminal', isTTY: true, env: 'pretty' }), 'human');
  });
});

describe('human log lines', () => {
  it('level word, file:line, message and the remaining useful fields; no time, pid or logger name', () => {
    const line = humanLogLine(
      JSON.stringify({
        level: 40,
        time: 1,
        pid: 7,
        name: 'onionmx-route',
        file: 'map.yml',
        line: 2,
        domain: 'old.example',
        msg: 'map entry skipped: v2 onion services no longer exist',
      }),
    );
    assert.equal(line, 'warning: map.yml:2: map entry skipped: v2 onion services no longer exist (domain old.example)\n');
    assert.equal(
      humanLogLine(JSON.stringify({ level: 50, msg: 'reload failed', err: { message: 'EACCES' }, svc: 'router' })),
      'error: reload failed (err EACCES)\n',
    );
    assert.equal(humanLogLine('not json'), 'not json\n');
  });

  it('createLogger in human format writes those sentences to the given stream, honouring the level', () => {
    const out: string[] = [];
    const logger = createLogger('t', 'warn', { format: 'human', stream: { write: (s: string) => out.push(s) } });
    logger.info('not shown');
    logger.warn({ file: 'peers.map', line: 3 }, 'map entry skipped: missing onion address after the domain');
    assert.deepEqual(out, ['warning: peers.map:3: map entry skipped: missing onion address after the domain\n']);
  });
});
