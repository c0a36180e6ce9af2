import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NetstringDecoder, NetstringError, decodeNetstring, encodeNetstring, formatNetstring } from '../src/netstring.ts';

test('encodes the djb examples', () => {
  assert.equal(encodeNetstring('hello world!').toString(), '12:hello world!,');
  assert.equal(encodeNetstring('').toString(), '0:,');
  assert.equal(encodeNetstring('é').toString('latin1'), '2:\xc3\xa9,', 'length counts bytes, not characters');
});

test('decodes one netstring and refuses trailing bytes or truncation', () => {
  assert.equal(decodeNetstring(Buffer.from('5:hello,')).toString(), 'hello');
  assert.throws(() => decodeNetstring(Buffer.from('5:hello,x')), /trailing/);
  assert.throws(() => decodeNetstring(Buffer.from('5:hel')), /truncated/);
});

test('decoder reassembles frames split at every byte boundary', () => {
  const wire = Buffer.concat([encodeNetstring('onionmx a@b.example'), encodeNetstring(''), encodeNetstring('x y')]);
  for (let cut = 0; cut <= wire.length; cut++) {
    const d = new NetstringDecoder(1000);
    const got = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))].map((b) => b.toString());
    assert.deepEqual(got, ['onionmx a@b.example', '', 'x y'], `cut at ${cut}`);
    assert.equal(d.pending, 0);
  }
});

test('decoder refuses malformed framing with a reason, and stays failed', () => {
  const cases: [string, RegExp][] = [
    ['5:hello;', /not terminated by a comma/],
    ['x:', /non-digit/],
    [':abc,', /empty length/],
    ['05:hello,', /leading zero/],
    ['-1:,', /non-digit/],
    ['1001:', /exceeds the limit/],
    ['99999999999', /exceeds the limit/],
  ];
  for (const [input, reason] of cases) {
    const d = new NetstringDecoder(1000);
    assert.throws(
      () => d.push(Buffer.from(input)),
      (err: unknown) => err instanceof NetstringError && reason.test(err.message),
      input,
    );
    assert.throws(() => d.push(Buffer.from('1:a,')), NetstringError, 'a failed decoder must not resynchronise on garbage');
  }
});

test('an oversized length is refused before its payload is buffered', () => {
  const d = new NetstringDecoder(10);
  assert.throws(() => d.push(Buffer.from('11:')), /11 exceeds the limit of 10/);
});

test('property: decode(encode(x)) = x for any bytes, however the stream is chunked', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
      fc.array(fc.nat(400), { maxLength: 6 }),
      (payloads, cuts) => {
        const wire = Buffer.concat(payloads.map((p) => encodeNetstring(Buffer.from(p))));
        const d = new NetstringDecoder(300);
        const out: Buffer[] = [];
        let pos = 0;
        for (const c of [...cuts].sort((a, b) => a - b)) {
          const at = Math.min(c, wire.length);
          if (at < pos) continue;
          out.push(...d.push(wire.subarray(pos, at)));
          pos = at;
        }
        out.push(...d.push(wire.subarray(pos)));
        assert.deepEqual(
          out.map((b) => Buffer.from(b).toString('hex')),
          payloads.map((p) => Buffer.from(p).toString('hex')),
        );
      },
    ),
  );
});

test('property: formatNetstring(s), written as UTF-8, is encodeNetstring(s) for any text', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
      assert.deepEqual(Buffer.from(formatNetstring(s), 'utf8'), encodeNetstring(s));
    }),
  );
});
