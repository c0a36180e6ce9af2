import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DotStuffer } from '@peergroup/mta-codecs';

function stuff(chunks: Buffer[]): string {
  const s = new DotStuffer();
  return Buffer.concat([...chunks.map((c) => s.push(c)), s.end()]).toString('latin1');
}

/** What a receiving MTA does: strip one leading dot per line up to the lone-dot line. */
function unstuff(wire: string): string {
  const lines = wire.split('\r\n');
  const end = lines.indexOf('.');
  assert.ok(end >= 0, 'has an end-of-data line');
  assert.equal(lines.slice(end + 1).join(''), '', 'nothing after the end-of-data line');
  return lines
    .slice(0, end)
    .map((l) => (l.startsWith('.') ? l.slice(1) : l))
    .map((l) => l + '\r\n')
    .join('');
}

test('leading dots are doubled and the terminator appended', () => {
  assert.equal(stuff([Buffer.from('a\r\n.b\r\n..\r\n')]), 'a\r\n..b\r\n...\r\n.\r\n');
  assert.equal(stuff([Buffer.from('.start\r\n')]), '..start\r\n.\r\n');
  assert.equal(stuff([]), '.\r\n', 'an empty body is just the terminator');
  assert.equal(stuff([Buffer.from('no newline')]), 'no newline\r\n.\r\n');
});

test('a dot at a chunk boundary after a line end is stuffed', () => {
  assert.equal(stuff([Buffer.from('a\r\n'), Buffer.from('.\r\n')]), 'a\r\n..\r\n.\r\n');
  assert.equal(stuff([Buffer.from('a\r'), Buffer.from('\n'), Buffer.from('.x\r\n')]), 'a\r\n..x\r\n.\r\n');
});

test('stuff then unstuff is the identity for CRLF messages, however they are chunked', () => {
  const line = fc.stringMatching(/^[.a-z ]{0,12}$/);
  fc.assert(
    fc.property(fc.array(line, { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 30 }), (lines, cuts) => {
      const body = Buffer.from(lines.map((l) => l + '\r\n').join(''), 'latin1');
      const chunks: Buffer[] = [];
      let pos = 0;
      for (const c of cuts) {
        if (pos >= body.length) break;
        chunks.push(body.subarray(pos, pos + c));
        pos += c;
      }
      if (pos < body.length) chunks.push(body.subarray(pos));
      assert.equal(unstuff(stuff(chunks)), body.toString('latin1'));
    }),
  );
});
