import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { SMTPServer } from 'smtp-server';
import { SMTPStream } from 'smtp-server/lib/smtp-stream.js';
import { DotStuffer } from '@peergroup/mta-codecs';
import { feedDataStream, installFastDataParser, isDotStuffed, useFastDataParser } from '../src/relay/relay-data-parser.ts';

interface Run {
  data: string;
  dataBytes: number;
  ended: boolean;
  after: string[];
}

/** Feeds `chunks` to a parser already in DATA mode, as smtp-server's connection would, and records what it saw. */
async function run(fast: boolean, chunks: Buffer[]): Promise<Run> {
  const parser = new SMTPStream();
  if (fast) assert.ok(useFastDataParser(parser), 'the installed SMTPStream has the expected internals');
  const after: string[] = [];
  parser.oncommand = (cmd: Buffer, cb?: () => void) => {
    after.push(cmd.toString('latin1'));
    cb?.();
  };
  const stream = parser.startDataMode();
  const out: Buffer[] = [];
  let ended = false;
  stream.on('data', (c: Buffer) => out.push(c));
  stream.on('end', () => {
    ended = true;
    parser.continue();
  });
  for (const c of chunks) parser.write(c);
  parser.end();
  await new Promise<void>((resolve) => parser.once('finish', () => resolve()));
  await new Promise((r) => setImmediate(r));
  return { data: Buffer.concat(out).toString('latin1'), dataBytes: parser.dataBytes, ended, after };
}

/**
 * The fast parser against the stock one: a message that ended (its terminator came) is the same, byte for byte,
 * counts included. One the client never finished (it went away mid-DATA) is never delivered — no end-of-data mark
 * goes out — and the fast parser may have sent up to the 4 held-back bytes more (the ones no decision could drop
 * any more; pass-through: plus the dot stuffed in front of one of them).
 */
function assertSameAsStock(
  fast: { ended: boolean; dataBytes: number; after: string[] } & ({ data: string } | { wire: string }),
  stock: typeof fast,
  what?: string,
): void {
  if (stock.ended || fast.ended) {
    assert.deepEqual(fast, stock, what);
    return;
  }
  const text = (r: typeof fast) => ('data' in r ? r.data : r.wire);
  assert.deepEqual(fast.after, stock.after, what);
  assert.ok(text(fast).startsWith(text(stock)), `unfinished message: starts as the stock one ${what ?? ''}`);
  assert.ok(text(fast).length - text(stock).length <= 5, `unfinished message: at most the held-back bytes more ${what ?? ''}`);
  const more = fast.dataBytes - stock.dataBytes;
  assert.ok(more >= 0 && more <= 4, `unfinished message: dataBytes ${fast.dataBytes} vs ${stock.dataBytes} ${what ?? ''}`);
}

function cut(body: Buffer, cuts: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  for (const n of cuts) {
    if (at >= body.length) break;
    chunks.push(body.subarray(at, at + n));
    at += n;
  }
  if (at < body.length) chunks.push(body.subarray(at));
  return chunks;
}

test('known cases: escapes, terminator, commands pipelined after the message', async () => {
  const r = await run(true, [Buffer.from('a\r\n..b\r\n...\r\nc\r\n.\r\nQUIT\r\n')]);
  assert.deepEqual(r, { data: 'a\r\n.b\r\n..\r\nc\r\n', dataBytes: 14, ended: true, after: ['QUIT'] });
  const empty = await run(true, [Buffer.from('.'), Buffer.from('\r\n'), Buffer.from('NOOP\r\n')]);
  assert.deepEqual(empty, { data: '', dataBytes: 0, ended: true, after: ['NOOP'] });
  // A first line ".." sent on its own is content ".", never a terminator, however the rest is segmented.
  const dotLine = await run(true, [Buffer.from('..'), Buffer.from('\r\n'), Buffer.from('.\r\n')]);
  assert.deepEqual(dotLine, { data: '.\r\n', dataBytes: 3, ended: true, after: [] });
});

test('data-start edge cases behave as in smtp-server', async () => {
  for (const input of ['\n..x\r\n.\r\n', '\r..\r\n.\r\n', '.x\r\n.\r\n', '...\r\n.\r\n', '\r\n.\r\nQUIT\r\n', '.\r']) {
    for (let at = 1; at < input.length; at++) {
      const chunks = [Buffer.from(input.slice(0, at), 'latin1'), Buffer.from(input.slice(at), 'latin1')];
      assertSameAsStock(await run(true, chunks), await run(false, chunks), JSON.stringify(chunks.map(String)));
    }
  }
});

test('same output, byte count, end and pipelined commands as smtp-server, for any input and chunking', async () => {
  // Inputs made of the bytes that matter, so escapes, terminators and near-misses are frequent.
  const piece = fc.constantFrom('.', '\r', '\n', '\r\n', '\r\n.', '\r\n..', '\r\n.\r\n', 'a', 'QUIT\r\n', 'xyz');
  await fc.assert(
    fc.asyncProperty(
      fc.array(piece, { maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 40 }),
      async (pieces, cuts) => {
        const chunks = cut(Buffer.from(pieces.join(''), 'latin1'), cuts);
        assertSameAsStock(await run(true, chunks), await run(false, chunks));
      },
    ),
    { numRuns: Number(process.env.RELAY_PARSER_RUNS ?? 600) },
  );
});

test('same result as smtp-server on large chunks with dots spread through them', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.stringMatching(/^\.{0,2}[a-z]{0,70}$/), { minLength: 1, maxLength: 400 }),
      fc.array(fc.integer({ min: 1, max: 9000 }), { maxLength: 10 }),
      fc.boolean(),
      async (lines, cuts, terminate) => {
        const body = lines.map((l) => l + '\r\n').join('') + (terminate ? '.\r\nRSET\r\n' : '');
        const chunks = cut(Buffer.from(body, 'latin1'), cuts);
        assertSameAsStock(await run(true, chunks), await run(false, chunks));
      },
    ),
    { numRuns: Math.ceil(Number(process.env.RELAY_PARSER_RUNS ?? 600) / 6) },
  );
});

test('a chunk that does not end in a dot goes out whole, as one view of the socket chunk (held-back bytes included)', async () => {
  for (const stuffed of [false, true]) {
    const parser = new SMTPStream();
    assert.ok(useFastDataParser(parser, { stuffed }));
    parser.oncommand = (_cmd: Buffer, cb?: () => void) => cb?.();
    const stream = parser.startDataMode();
    const seen: Buffer[] = [];
    stream.on('data', (c: Buffer) => seen.push(c));
    stream.on('end', () => parser.continue());
    const chunks = [Buffer.from('Subject: x\r\n\r\nline one\r\n'), Buffer.from('line two\r\nline th'), Buffer.from('ree\r\n')];
    for (const c of chunks) parser.write(c);
    parser.write(Buffer.from('.\r\n'));
    await new Promise((r) => setImmediate(r));
    assert.equal(seen.length, chunks.length, `one write per chunk (stuffed: ${stuffed})`);
    seen.forEach((c, i) => {
      assert.equal(c.toString(), chunks[i]!.toString());
      assert.equal(c.buffer, chunks[i]!.buffer, 'a view, not a copy');
    });
    assert.equal(parser.dataBytes, Buffer.concat(chunks).length);
  }
});

test('installFastDataParser swaps the reader of a real SMTPServer connection, which then receives dotted mail', async (t) => {
  let received = '';
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    onData(stream, _s, cb) {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => {
        received = Buffer.concat(parts).toString('latin1');
        cb(null, 'ok');
      });
    },
  });
  assert.ok(installFastDataParser(server));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const sock = connect((server.server.address() as AddressInfo).port, '127.0.0.1');
  t.after(async () => {
    sock.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  let replies = '';
  const waitFor = (code: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (replies.includes(`\r\n${code} `) || replies.startsWith(`${code} `)) {
          replies = '';
          sock.off('data', onData);
          resolve();
        }
      };
      const onData = (b: Buffer) => {
        replies += b.toString('latin1');
        check();
      };
      sock.on('data', onData);
      check();
    });
  await waitFor('220');
  const parsers = [...server.connections].map((c) => (c as unknown as { _parser: { _feedDataStream: unknown } })._parser._feedDataStream);
  assert.deepEqual(parsers, [feedDataStream]);
  for (const [line, code] of [
    ['EHLO t', '250'],
    ['MAIL FROM:<a@b.test>', '250'],
    ['RCPT TO:<c@d.test>', '250'],
    ['DATA', '354'],
  ] as const) {
    sock.write(line + '\r\n');
    await waitFor(code);
  }
  sock.write('Subject: x\r\n\r\n..leading\r\n.');
  sock.write('.\r\nend\r\n.\r\n');
  await waitFor('250');
  assert.equal(received, 'Subject: x\r\n\r\n.leading\r\n.\r\nend\r\n');
});

interface Wire {
  wire: string;
  dataBytes: number;
  byteLength: number;
  ended: boolean;
  after: string[];
}

/**
 * What goes to the far MX for `chunks`: the stock path (smtp-server's own parser un-stuffs, DotStuffer re-stuffs
 * each piece) or the pass-through (fast parser in stuffed mode, pieces sent verbatim), end-of-data mark included.
 */
async function wire(passThrough: boolean, chunks: Buffer[]): Promise<Wire> {
  const parser = new SMTPStream();
  if (passThrough) assert.ok(useFastDataParser(parser, { stuffed: true }));
  const after: string[] = [];
  parser.oncommand = (cmd: Buffer, cb?: () => void) => {
    after.push(cmd.toString('latin1'));
    cb?.();
  };
  const stream = parser.startDataMode() as ReturnType<SMTPStream['startDataMode']> & { byteLength: number };
  assert.equal(isDotStuffed(stream), passThrough);
  const stuffer = new DotStuffer();
  const out: Buffer[] = [];
  let ended = false;
  stream.on('data', (c: Buffer) => out.push(passThrough ? stuffer.pass(c) : stuffer.push(c)));
  stream.on('end', () => {
    ended = true;
    out.push(stuffer.end());
    parser.continue();
  });
  for (const c of chunks) parser.write(c);
  parser.end();
  await new Promise<void>((resolve) => parser.once('finish', () => resolve()));
  await new Promise((r) => setImmediate(r));
  return { wire: Buffer.concat(out).toString('latin1'), dataBytes: parser.dataBytes, byteLength: stream.byteLength, ended, after };
}

test('pass-through: known cases, smuggling patterns leave stuffed as on the stock path', async () => {
  const cases: [string, string][] = [
    ['a\r\n..b\r\n.\r\n', 'a\r\n..b\r\n.\r\n'],
    // a client that did not stuff: the dot is doubled, as DotStuffer does after un-stuffing
    ['.x\r\n.y\r\n.\r\n', '..x\r\n..y\r\n.\r\n'],
    // bare LF / CR around a dot: never a line the far side could take for the end of DATA
    ['a\n.\nb\r\n.\r\n', 'a\n..\nb\r\n.\r\n'],
    ['a\n.\r\nb\r\n.\r\n', 'a\n..\r\nb\r\n.\r\n'],
    ['a\r.\rb\r\n.\r\n', 'a\r.\rb\r\n.\r\n'],
    ['\n.x\r\n.\r\n', '\n..x\r\n.\r\n'],
  ];
  for (const [input, expected] of cases) {
    for (let at = 1; at < input.length; at++) {
      const chunks = [Buffer.from(input.slice(0, at), 'latin1'), Buffer.from(input.slice(at), 'latin1')];
      const p = await wire(true, chunks);
      assert.equal(p.wire, expected, JSON.stringify(chunks.map(String)));
      assertSameAsStock(p, await wire(false, chunks), JSON.stringify(chunks.map(String)));
    }
  }
});

test('pass-through sends what un-stuffing and re-stuffing would, with the same counts, for any input and chunking', async () => {
  const piece = fc.constantFrom(
    '.',
    '..',
    '\r',
    '\n',
    '\r\n',
    '\n.',
    '\r.',
    '\n.\n',
    '\r.\r',
    '\n.\r\n',
    '\r\n.',
    '\r\n..',
    '\r\n.\r\n',
    'a',
    'QUIT\r\n',
    'xyz',
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(piece, { maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 40 }),
      async (pieces, cuts) => {
        const chunks = cut(Buffer.from(pieces.join(''), 'latin1'), cuts);
        assertSameAsStock(await wire(true, chunks), await wire(false, chunks));
      },
    ),
    { numRuns: Number(process.env.RELAY_PARSER_RUNS ?? 600) },
  );
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.stringMatching(/^\.{0,2}[a-z\r\n.]{0,70}$/), { minLength: 1, maxLength: 300 }),
      fc.array(fc.integer({ min: 1, max: 9000 }), { maxLength: 10 }),
      fc.boolean(),
      async (lines, cuts, terminate) => {
        const body = lines.map((l) => l + '\r\n').join('') + (terminate ? '.\r\nRSET\r\n' : '');
        const chunks = cut(Buffer.from(body, 'latin1'), cuts);
        assertSameAsStock(await wire(true, chunks), await wire(false, chunks));
      },
    ),
    { numRuns: Math.ceil(Number(process.env.RELAY_PARSER_RUNS ?? 600) / 6) },
  );
});
