/**
 * A faster DATA-phase reader for smtp-server's SMTPStream, installed on the relay's own connections only, and the
 * relay's pass-through: the message left dot-stuffed as it came, for the outbound session to send verbatim.
 *
 * smtp-server (3.x) un-stuffs DATA with a JavaScript loop over every byte and copies every socket chunk to prepend
 * the 4 bytes it held back; the relay's profile had a third of its busy time there. This is the same algorithm,
 * decision for decision (what is emitted, where DATA ends, when a leading dot is an escape or a terminator, byte
 * counts, backpressure), with the line-start search done by the native Buffer.indexOf and the per-escape-dot
 * setImmediate replaced by a loop. One difference in timing only: of the 4 bytes held back for the next chunk's
 * decisions, those no decision can drop any more go out with their own chunk (a socket chunk is then one write, not
 * two); a message the client never finishes may so have sent up to 4 bytes more before it is discarded.
 * test/relay-data-parser.test.ts checks it byte for byte against the installed SMTPStream, so an smtp-server upgrade
 * that changes the algorithm fails that test; an upgrade that renames the internals makes `installFastDataParser` a
 * no-op (the stock parser keeps working).
 *
 * Pass-through (`stuffed`): the stream carries what the stock path would put on the wire after re-stuffing its
 * output (DotStuffer) — the same bytes, without un-stuffing and re-stuffing them. Every decision stays the stock
 * one; only an escape dot is kept instead of dropped (the re-stuffer would put it back), and a dot at a line start
 * that the stock parser does not take as an escape (a client that did not stuff; after a bare LF too) gets the dot
 * the re-stuffer would add. So a bare CR or LF reaches the far MX exactly as it does on the stock path: `\n.\n`
 * leaves as `\n..\n`, never as a line the far side could read as the end of DATA. Byte counts (size limit,
 * `byteLength`) stay those of the un-stuffed message.
 */
import type { PassThrough } from 'node:stream';

/** The SMTPStream internals the stock `_feedDataStream` works with. */
export interface SmtpStreamInternals {
  _feedDataStream(chunk: Buffer, done: (err?: Error) => void): void;
  startDataMode(maxBytes?: number): PassThrough;
  _lastBytes: Buffer | false;
  _atDataStart: boolean;
  _dataStream: (PassThrough & { destroyed: boolean }) | null;
  _countDataBytes(len: number): void;
  _endDataMode(chunk: Buffer | false, remainder: Buffer, done: (err?: Error) => void): void;
  /** Ours: pass-through mode. */
  _pgStuffed?: boolean;
  /** Ours, pass-through: a dot goes in front of _lastBytes[_pgInsert] when those bytes go out (-1: none). */
  _pgInsert?: number;
  /** Ours: how many leading bytes of _lastBytes went out already (held only for the next chunk's look-back). */
  _pgSent?: number;
}

const DOT = 0x2e;
const LF = 0x0a;
const CR = 0x0d;
const LF_DOT = Buffer.from('\n.');
const DOT_BUF = Buffer.from('.');

/** Marks a DATA stream whose bytes are still dot-stuffed (pass-through); see `isDotStuffed`. */
const STUFFED = Symbol('peergroup.dotStuffed');

/** True for a DATA stream of a pass-through parser: its bytes go out verbatim (no re-stuffing), its `byteLength` is the message size. */
export function isDotStuffed(stream: object): stream is PassThrough & { byteLength: number; sizeExceeded: boolean } {
  return (stream as { [STUFFED]?: boolean })[STUFFED] === true;
}

/**
 * The views that go out in one call, merged where they are adjacent in memory (a kept escape dot and what follows
 * it are one view of the socket chunk), so the common chunk is one write.
 */
/** A dot to go out in front of position `at`: a kept escape dot (a view of the input, adjacent), else DOT_BUF. */
interface Insert {
  at: number;
  dot: Buffer;
}

class Out {
  parts: Buffer[] = [];
  add(b: Buffer): void {
    if (b.length === 0) return;
    const last = this.parts[this.parts.length - 1];
    if (last && last.buffer === b.buffer && last.byteOffset + last.length === b.byteOffset) {
      this.parts[this.parts.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + b.length);
    } else this.parts.push(b);
  }
  /** `b[from, to)` with a dot in front of each position of `inserts` in that range (ascending). */
  range(b: Buffer, from: number, to: number, inserts: Insert[] | undefined): void {
    if (inserts) {
      for (const { at, dot } of inserts) {
        if (at < from || at >= to) continue;
        this.add(b.subarray(from, at));
        this.add(dot);
        from = at;
      }
    }
    this.add(b.subarray(from, to));
  }
}

/** Stock semantics of SMTPStream#_feedDataStream (smtp-server 3.21), see the module comment. */
export function feedDataStream(this: SmtpStreamInternals, input: Buffer, done: (err?: Error) => void): void {
  const dataStream = this._dataStream!;
  const stuffed = this._pgStuffed === true;
  const out = new Out();
  let chunk = input;
  // Bytes held back from the previous chunk and not out yet, to go out in front of this chunk's first emission
  // (from `headFrom`). The stock parser copies every chunk to prepend the held-back bytes; that copy is needed only
  // when they can take part in a decision.
  let head: Buffer | undefined;
  let headFrom = 0;
  // Positions [0, skip) of `chunk` are held-back bytes that went out already (see `sent` below).
  let skip = 0;
  // Pass-through: positions in `chunk` (ascending) that get a dot in front; the one carried in the held-back bytes.
  let inserts: Insert[] | undefined;
  let headInsert: Insert[] | undefined;
  const carried = this._pgInsert ?? -1;
  this._pgInsert = -1;
  const tail = this._lastBytes;
  const sent = this._pgSent ?? 0;
  this._pgSent = 0;
  if (tail && tail.length) {
    this._lastBytes = false;
    if (this._atDataStart || chunk.length < 4 || junctionHasDot(tail, chunk)) {
      chunk = Buffer.concat([tail, chunk], tail.length + chunk.length);
      skip = sent;
      if (carried >= 0) inserts = [{ at: carried, dot: DOT_BUF }];
    } else if (sent < tail.length) {
      head = tail;
      headFrom = sent;
      if (carried >= 0) headInsert = [{ at: carried, dot: DOT_BUF }];
    }
  }
  let headLen = head ? head.length - headFrom : 0;
  const emitHead = () => {
    if (head) out.range(head, headFrom, head.length, headInsert);
  };
  let len = chunk.length;
  const atStart = this._atDataStart;
  // ".\r\n" as the very first payload is the end of an empty message; never after the first byte was consumed,
  // whatever the TCP segmentation (the stock parser's guard against smuggling commands into DATA).
  if (atStart && len >= 3 && chunk[0] === DOT && chunk[1] === CR && chunk[2] === LF) {
    this._endDataMode(false, chunk.subarray(3), done);
    return;
  }
  if (atStart && len >= 2 && chunk[0] === DOT && chunk[1] === DOT) {
    const escapeDot = chunk.subarray(0, 1);
    chunk = chunk.subarray(1);
    len--;
    this._atDataStart = false;
    // Pass-through: the escape dot goes back in front of the dot it escapes, when that one goes out.
    if (stuffed) inserts = [{ at: 0, dot: escapeDot }];
  } else if (stuffed && atStart && len >= 2) {
    // The first byte a dot, or a dot after a leading bare LF (a line start the stock parser never examines): the
    // re-stuffer would double it. Only final once something goes out in this call (else decided again next time).
    if (chunk[0] === DOT) inserts = [{ at: 0, dot: DOT_BUF }];
    else if (chunk[0] === LF && chunk[1] === DOT) inserts = [{ at: 1, dot: DOT_BUF }];
  }
  // The stock parser restarts on the rest of the chunk after each escape dot; so does this loop. It examines a
  // dot at positions 2 .. len-3 only: the rest is held back (or was examined with the previous chunk).
  for (;;) {
    let escapeAt = -1;
    for (let j = chunk.indexOf(LF_DOT, 1); j >= 0 && j + 1 < len - 2; j = chunk.indexOf(LF_DOT, j + 1)) {
      const i = j + 1;
      if (chunk[i - 2] === CR && chunk[i + 1] === CR && chunk[i + 2] === LF) {
        const from = Math.min(skip, i);
        this._countDataBytes(i - from + headLen);
        if (dataStream.writable) {
          emitHead();
          out.range(chunk, from, i, inserts);
          for (const p of out.parts) dataStream.write(p);
        }
        this._endDataMode(false, chunk.subarray(i + 3), done);
        return;
      }
      if (chunk[i + 1] === DOT) {
        escapeAt = i;
        break;
      }
      if (stuffed) (inserts ??= []).push({ at: i, dot: DOT_BUF });
    }
    if (escapeAt < 0) break;
    this._lastBytes = false;
    const from = Math.min(skip, escapeAt);
    this._countDataBytes(escapeAt - from + headLen);
    emitHead();
    out.range(chunk, from, escapeAt, inserts);
    head = undefined;
    headLen = 0;
    skip = 0;
    // Pass-through keeps the escape dot, in front of the dot it escapes when that one goes out (usually at once:
    // then both are one view of the input).
    inserts = stuffed ? [{ at: 0, dot: chunk.subarray(escapeAt, escapeAt + 1) }] : undefined;
    chunk = chunk.subarray(escapeAt + 1);
    len = chunk.length;
  }
  // The last 4 bytes are held back for the decisions of the next chunk, as the stock parser does. A copy, not a
  // view: a view would keep the whole socket chunk alive until the next one (or the next message).
  const keep = chunk.length < 4 ? chunk.length : 4;
  this._lastBytes = Buffer.from(chunk.subarray(chunk.length - keep));
  const cut = chunk.length - keep;
  // Of the held-back bytes, those no later decision can drop go out now, in the same view as the rest of the chunk
  // (one write per socket chunk instead of two, the second of 4 bytes): only a dot the next chunk decides on (an
  // escape or the terminator, at held-back positions 2 and 3) and what follows it can still be dropped. At the data
  // start nothing is decided yet.
  let end = Math.max(cut, skip);
  if (!this._atDataStart || end - skip + headLen > 0) {
    let n = keep;
    for (let k = Math.max(2, keep - 2); k < keep; k++) {
      if (chunk[cut + k] === DOT) {
        n = k;
        break;
      }
    }
    end = Math.max(end, cut + n);
  }
  this._pgSent = end - cut;
  const from = Math.min(skip, end);
  const emitted = end - from + headLen;
  // An insert among the held-back bytes not out yet goes out with them. While nothing went out at the data start,
  // it is decided again with the next chunk.
  if (stuffed && inserts && (emitted > 0 || !this._atDataStart)) {
    for (const { at } of inserts) if (at >= end) this._pgInsert = at - cut;
  }
  if (emitted > 0) {
    emitHead();
    out.range(chunk, from, end, inserts);
  }
  if (out.parts.length === 0) {
    done();
    return;
  }
  this._countDataBytes(emitted);
  if (!dataStream.writable) {
    done();
    return;
  }
  let handled = true;
  for (const p of out.parts) handled = dataStream.write(p);
  if (handled || dataStream.destroyed) {
    done();
    return;
  }
  // a stream that the application destroys never drains, it only closes
  const onDrain = () => {
    dataStream.removeListener('drain', onDrain);
    dataStream.removeListener('close', onDrain);
    done();
  };
  dataStream.once('drain', onDrain);
  dataStream.once('close', onDrain);
}

/**
 * Whether a dot sits where the stock parser, working on held-back bytes + chunk, would examine it with the held-back
 * bytes in reach: the last two held-back bytes (not examined yet) or the first two of the chunk (whose line-start
 * test looks back into the held-back bytes). Without one, the decisions on the joined buffer are those on the chunk.
 */
function junctionHasDot(tail: Buffer, chunk: Buffer): boolean {
  for (let k = 2; k < tail.length; k++) if (tail[k] === DOT) return true;
  return chunk[0] === DOT || chunk[1] === DOT;
}

/** True when `parser` has the internals feedDataStream relies on (so a renamed field disables the swap). */
function hasStockShape(parser: unknown): parser is SmtpStreamInternals {
  const p = parser as Partial<Record<keyof SmtpStreamInternals, unknown>> | null;
  return (
    !!p &&
    typeof p._feedDataStream === 'function' &&
    typeof p.startDataMode === 'function' &&
    typeof p._countDataBytes === 'function' &&
    typeof p._endDataMode === 'function' &&
    '_lastBytes' in p &&
    '_atDataStart' in p &&
    '_dataStream' in p
  );
}

export interface FastDataParserOptions {
  /** Pass-through: DATA streams stay dot-stuffed (marked for `isDotStuffed`). */
  stuffed?: boolean;
}

/** Swaps the DATA reader of one SMTPStream; false (and nothing changed) when it is not the expected shape. */
export function useFastDataParser(parser: unknown, opts: FastDataParserOptions = {}): boolean {
  if (!hasStockShape(parser)) return false;
  parser._feedDataStream = feedDataStream;
  if (opts.stuffed) {
    parser._pgStuffed = true;
    const start = parser.startDataMode;
    parser.startDataMode = function (this: SmtpStreamInternals, maxBytes?: number) {
      this._pgInsert = -1;
      const stream = start.call(this, maxBytes);
      Object.defineProperty(stream, STUFFED, { value: true });
      return stream;
    };
  }
  return true;
}

interface ConnectionInternals {
  _parser?: unknown;
  _createParser?: () => unknown;
}

/**
 * Makes every connection of `server` (an SMTPServer) use the fast DATA reader, including parsers created later
 * (smtp-server makes a new one after STARTTLS). Returns false when smtp-server's internals are not as expected.
 */
export function installFastDataParser(server: { connections: Set<unknown> }, opts: FastDataParserOptions = {}): boolean {
  const set = server.connections;
  if (!(set instanceof Set)) return false;
  const add = set.add.bind(set);
  set.add = (conn: unknown) => {
    const c = conn as ConnectionInternals;
    if (typeof c._createParser === 'function') {
      const create = c._createParser;
      c._createParser = function (this: unknown) {
        const parser = create.call(this);
        useFastDataParser(parser, opts);
        return parser;
      };
    }
    useFastDataParser(c._parser, opts);
    return add(conn);
  };
  return true;
}
