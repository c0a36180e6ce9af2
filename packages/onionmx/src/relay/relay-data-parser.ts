/**
 * A faster DATA-phase reader for smtp-server's SMTPStream, installed on the relay's own connections only.
 *
 * smtp-server (3.x) un-stuffs DATA with a JavaScript loop over every byte and copies every socket chunk to prepend
 * the 4 bytes it held back; the relay's profile had a third of its busy time there. This is the same algorithm,
 * decision for decision (what is emitted, what is held back, where DATA ends, when a leading dot is an escape or a
 * terminator, byte counts, backpressure), with the line-start search done by the native Buffer.indexOf and the
 * per-escape-dot setImmediate replaced by a loop. test/relay-data-parser.test.ts checks it byte for byte against the
 * installed SMTPStream, so an smtp-server upgrade that changes the algorithm fails that test; an upgrade that
 * renames the internals makes `installFastDataParser` a no-op (the stock parser keeps working).
 */
import type { PassThrough } from 'node:stream';

/** The SMTPStream internals the stock `_feedDataStream` works with. */
export interface SmtpStreamInternals {
  _feedDataStream(chunk: Buffer, done: (err?: Error) => void): void;
  _lastBytes: Buffer | false;
  _atDataStart: boolean;
  _dataStream: (PassThrough & { destroyed: boolean }) | null;
  _countDataBytes(len: number): void;
  _endDataMode(chunk: Buffer | false, remainder: Buffer, done: (err?: Error) => void): void;
}

const DOT = 0x2e;
const LF = 0x0a;
const CR = 0x0d;
const LF_DOT = Buffer.from('\n.');

/** Stock semantics of SMTPStream#_feedDataStream (smtp-server 3.21), see the module comment. */
export function feedDataStream(this: SmtpStreamInternals, input: Buffer, done: (err?: Error) => void): void {
  const dataStream = this._dataStream!;
  let chunk = input;
  // Bytes held back from the previous chunk, to go out in front of this chunk's first emission. The stock parser
  // copies every chunk to prepend them; that copy is needed only when they can take part in a decision.
  let head: Buffer | undefined;
  const tail = this._lastBytes;
  if (tail && tail.length) {
    this._lastBytes = false;
    if (this._atDataStart || chunk.length < 4 || junctionHasDot(tail, chunk)) {
      chunk = Buffer.concat([tail, chunk], tail.length + chunk.length);
    } else {
      head = tail;
    }
  }
  let len = chunk.length;
  // ".\r\n" as the very first payload is the end of an empty message; never after the first byte was consumed,
  // whatever the TCP segmentation (the stock parser's guard against smuggling commands into DATA).
  if (this._atDataStart && len >= 3 && chunk[0] === DOT && chunk[1] === CR && chunk[2] === LF) {
    this._endDataMode(false, chunk.subarray(3), done);
    return;
  }
  if (this._atDataStart && len >= 2 && chunk[0] === DOT && chunk[1] === DOT) {
    chunk = chunk.subarray(1);
    len--;
    this._atDataStart = false;
  }
  // The stock parser restarts on the rest of the chunk after each escape dot; so does this loop. It examines a
  // dot at positions 2 .. len-3 only: the rest is held back (or was examined with the previous chunk).
  for (;;) {
    let escapeAt = -1;
    for (let j = chunk.indexOf(LF_DOT, 1); j >= 0 && j + 1 < len - 2; j = chunk.indexOf(LF_DOT, j + 1)) {
      const i = j + 1;
      if (chunk[i - 2] === CR && chunk[i + 1] === CR && chunk[i + 2] === LF) {
        const buf = chunk.subarray(0, i);
        this._countDataBytes(buf.length + (head ? head.length : 0));
        if (head && dataStream.writable) dataStream.write(head);
        this._endDataMode(buf, chunk.subarray(i + 3), done);
        return;
      }
      if (chunk[i + 1] === DOT) {
        escapeAt = i;
        break;
      }
    }
    if (escapeAt < 0) break;
    const buf = chunk.subarray(0, escapeAt);
    this._lastBytes = false;
    this._countDataBytes(buf.length + (head ? head.length : 0));
    if (dataStream.writable) {
      if (head) dataStream.write(head);
      dataStream.write(buf);
    }
    head = undefined;
    chunk = chunk.subarray(escapeAt + 1);
    len = chunk.length;
  }
  // A copy, not a view: a view would keep the whole socket chunk alive until the next one (or the next message).
  this._lastBytes = Buffer.from(chunk.length < 4 ? chunk : chunk.subarray(chunk.length - 4));
  const buf = chunk.subarray(0, chunk.length - this._lastBytes.length);
  const emitted = buf.length + (head ? head.length : 0);
  if (emitted === 0) {
    done();
    return;
  }
  this._countDataBytes(emitted);
  if (!dataStream.writable) {
    done();
    return;
  }
  let handled = true;
  if (head) handled = dataStream.write(head);
  if (buf.length) handled = dataStream.write(buf);
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
    typeof p._countDataBytes === 'function' &&
    typeof p._endDataMode === 'function' &&
    '_lastBytes' in p &&
    '_atDataStart' in p &&
    '_dataStream' in p
  );
}

/** Swaps the DATA reader of one SMTPStream; false (and nothing changed) when it is not the expected shape. */
export function useFastDataParser(parser: unknown): boolean {
  if (!hasStockShape(parser)) return false;
  parser._feedDataStream = feedDataStream;
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
export function installFastDataParser(server: { connections: Set<unknown> }): boolean {
  const set = server.connections;
  if (!(set instanceof Set)) return false;
  const add = set.add.bind(set);
  set.add = (conn: unknown) => {
    const c = conn as ConnectionInternals;
    if (typeof c._createParser === 'function') {
      const create = c._createParser;
      c._createParser = function (this: unknown) {
        const parser = create.call(this);
        useFastDataParser(parser);
        return parser;
      };
    }
    useFastDataParser(c._parser);
    return add(conn);
  };
  return true;
}
