/**
 * Netstrings (http://cr.yp.to/proto/netstrings.txt): `<len>:<bytes>,`.
 * Pure codec: the decoder is fed bytes and hands back complete payloads; it never touches a socket.
 */

export class NetstringError extends Error {
  override name = 'NetstringError';
}

/** `<decimal length>:<payload>,` as one buffer. */
export function encodeNetstring(payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.from(`${body.length}:`, 'latin1');
  return Buffer.concat([head, body, COMMA], head.length + body.length + 1);
}

/** encodeNetstring's bytes as a string, for a payload that is text: the length counts its UTF-8 bytes. */
export function formatNetstring(payload: string): string {
  return `${Buffer.byteLength(payload, 'utf8')}:${payload},`;
}

const COMMA = Buffer.from(',');
const COLON = 0x3a;

/**
 * Incremental netstring decoder. `maxLength` bounds the declared length so a peer cannot make us buffer
 * an arbitrary amount before the framing is checked.
 */
export class NetstringDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private failed: NetstringError | undefined;

  constructor(private readonly maxLength: number) {}

  /** Appends bytes and returns every payload now complete. Throws NetstringError (and stays failed) on bad framing. */
  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw this.failed;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    let pos = 0;
    try {
      for (;;) {
        const frame = readFrame(this.buf, pos, this.maxLength);
        if (!frame) break;
        out.push(frame.payload);
        pos = frame.next;
      }
    } catch (err) {
      this.failed = err as NetstringError;
      throw err;
    }
    this.buf = pos === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(pos);
    return out;
  }

  /** Bytes received that do not yet form a whole netstring (a peer that closes here sent a truncated request). */
  get pending(): number {
    return this.buf.length;
  }
}

/** Decodes exactly one netstring that must fill `data` completely. */
export function decodeNetstring(data: Buffer, maxLength = Number.MAX_SAFE_INTEGER): Buffer {
  const frame = readFrame(data, 0, maxLength);
  if (!frame) throw new NetstringError('truncated netstring');
  if (frame.next !== data.length) throw new NetstringError('trailing bytes after netstring');
  return frame.payload;
}

function readFrame(buf: Buffer, start: number, maxLength: number): { payload: Buffer; next: number } | undefined {
  if (start >= buf.length) return undefined;
  let i = start;
  let len = 0;
  const maxDigits = String(maxLength).length;
  while (i < buf.length && buf[i] !== COLON) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) throw new NetstringError(`netstring length has a non-digit byte 0x${c.toString(16).padStart(2, '0')}`);
    if (i - start >= maxDigits) throw new NetstringError(`netstring length exceeds the limit of ${maxLength} bytes`);
    len = len * 10 + (c - 0x30);
    i++;
  }
  if (i >= buf.length) return undefined; // length still arriving
  const digits = i - start;
  if (digits === 0) throw new NetstringError('netstring has an empty length');
  // The spec prohibits leading zeros; accepting them would give one payload two encodings.
  if (digits > 1 && buf[start] === 0x30) throw new NetstringError('netstring length has a leading zero');
  if (len > maxLength) throw new NetstringError(`netstring length ${len} exceeds the limit of ${maxLength} bytes`);
  const bodyStart = i + 1;
  const end = bodyStart + len;
  if (buf.length < end + 1) return undefined;
  if (buf[end] !== COMMA[0]) throw new NetstringError('netstring is not terminated by a comma');
  return { payload: buf.subarray(bodyStart, end), next: end + 1 };
}
