/**
 * SMTP DATA transparency (RFC 5321 §4.5.2): a line starting with "." gets another "." and the body ends with
 * CRLF.CRLF. Incremental and pure, so the relay streams arbitrarily large messages chunk by chunk.
 */
import { Transform, type TransformCallback } from 'node:stream';

const DOT = 0x2e;
const LF = 0x0a;
const CR = 0x0d;

export class DotStuffer {
  private atLineStart = true;
  private last2 = [LF, LF]; // as if preceded by a line end, so an empty body still ends correctly
  private sawAny = false;

  /** Stuffed bytes for one chunk (the chunk itself when nothing needed stuffing, the common case). */
  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    this.sawAny = true;
    const parts: Buffer[] = [];
    let from = 0;
    if (this.atLineStart && chunk[0] === DOT) {
      parts.push(DOT_BUF);
    }
    // Native search for LF followed by a dot: a JS loop over every byte would cost more than the copy itself.
    for (let i = chunk.indexOf(LF_DOT); i >= 0; i = chunk.indexOf(LF_DOT, i + 1)) {
      parts.push(chunk.subarray(from, i + 1), DOT_BUF);
      from = i + 1;
    }
    this.atLineStart = chunk[chunk.length - 1] === LF;
    if (chunk.length >= 2) this.last2 = [chunk[chunk.length - 2]!, chunk[chunk.length - 1]!];
    else this.last2 = [this.last2[1]!, chunk[0]!];
    if (parts.length === 0) return chunk;
    parts.push(chunk.subarray(from));
    return Buffer.concat(parts);
  }

  /**
   * A chunk that is dot-stuffed already (a relay's pass-through), sent as it is: only what `end` needs is noted.
   */
  pass(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    this.sawAny = true;
    this.atLineStart = chunk[chunk.length - 1] === LF;
    if (chunk.length >= 2) this.last2 = [chunk[chunk.length - 2]!, chunk[chunk.length - 1]!];
    else this.last2 = [this.last2[1]!, chunk[0]!];
    return chunk;
  }

  /** The terminator: a CRLF first when the body did not end with one. */
  end(): Buffer {
    const endedWithCrlf = this.last2[0] === CR && this.last2[1] === LF;
    return !this.sawAny || endedWithCrlf ? END_BUF : Buffer.from('\r\n.\r\n');
  }
}

const DOT_BUF = Buffer.from('.');
const LF_DOT = Buffer.from('\n.');
const END_BUF = Buffer.from('.\r\n');

/** Stream wrapper around DotStuffer; backpressure is the ordinary Transform one. */
export function dotStuffStream(): Transform {
  const stuffer = new DotStuffer();
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      cb(null, stuffer.push(chunk));
    },
    flush(cb: TransformCallback) {
      cb(null, stuffer.end());
    },
  });
}
