/**
 * Postfix tcp_table(5) codec: `get SP key LF` → `200|400|500 SP text LF`, parameters %XX-encoded.
 * Pure functions over strings; the router owns the socket.
 */

/** tcp_table(5): replies must be no longer than 4096 characters including the newline. */
export const TCP_TABLE_MAX_REPLY = 4096;

export type TcpTableStatus = 200 | 400 | 500;

export interface TcpTableReply {
  status: TcpTableStatus;
  text: string;
}

export type TcpTableRequest = { ok: true; key: string } | { ok: false; reason: string };

export class TcpTableEncodingError extends Error {
  override name = 'TcpTableEncodingError';
}

/**
 * %XX-decodes a tcp_table parameter (hex digits in any case). `text` is a byte string (latin1, as read
 * off the socket); the decoded bytes are read as UTF-8 so an internationalised address round-trips.
 * A `%` not followed by two hex digits is an error.
 */
export function tcpTableDecode(text: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x25) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new TcpTableEncodingError(`bad %-escape at offset ${i}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (ch <= 0xff) {
      bytes.push(ch); // the router reads the socket as latin1, so each char is one received byte
    } else {
      for (const b of Buffer.from(text[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** %XX-encodes `%`, whitespace and every non-printing byte (everything outside 0x21–0x7e except `%`). */
export function tcpTableEncode(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    out += b <= 0x20 || b >= 0x7f || b === 0x25 ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  }
  return out;
}

/** Parses one request line (without its LF; a trailing CR is tolerated). */
export function parseTcpTableRequest(line: string): TcpTableRequest {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const sp = text.indexOf(' ');
  const verb = sp < 0 ? text : text.slice(0, sp);
  if (verb !== 'get') {
    return { ok: false, reason: verb === 'put' ? 'only the get request is supported' : `unknown request "${verb.slice(0, 32)}"` };
  }
  if (sp < 0) return { ok: false, reason: 'get without a key' };
  const raw = text.slice(sp + 1);
  if (raw.length === 0) return { ok: false, reason: 'get without a key' };
  if (/\s/.test(raw)) return { ok: false, reason: 'key contains unencoded whitespace' };
  try {
    return { ok: true, key: tcpTableDecode(raw) };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/**
 * Formats a reply line including its LF. Text that would exceed 4096 characters is cut for 400/500 (the
 * text is only descriptive); a 200 whose data does not fit becomes a 400, because truncated routing data
 * would send mail to the wrong place.
 */
export function formatTcpTableReply(reply: TcpTableReply): string {
  const encoded = tcpTableEncode(reply.text);
  const line = `${reply.status} ${encoded}\n`;
  if (line.length <= TCP_TABLE_MAX_REPLY) return line;
  if (reply.status === 200) return formatTcpTableReply({ status: 400, text: 'lookup result exceeds the 4096-byte tcp_table limit' });
  // Cut before a %XX escape rather than through it.
  let cut = encoded.slice(0, TCP_TABLE_MAX_REPLY - 5);
  const pct = cut.lastIndexOf('%');
  if (pct >= 0 && pct > cut.length - 3) cut = cut.slice(0, pct);
  return `${reply.status} ${cut}\n`;
}

/**
 * Splits a byte stream into request lines. `maxLine` bounds buffering of a line with no LF yet; an
 * over-long line is reported once so the server can answer and drop the connection.
 */
export class LineSplitter {
  private partial = '';

  constructor(private readonly maxLine: number) {}

  push(chunk: Buffer): { lines: string[]; overflow: boolean } {
    const text = this.partial + chunk.toString('latin1');
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    const tooLong = lines.findIndex((l) => l.length > this.maxLine);
    if (tooLong >= 0) return { lines: lines.slice(0, tooLong), overflow: true };
    return { lines, overflow: this.partial.length > this.maxLine };
  }

  /** Bytes after the last LF (a request the client never finished). */
  get rest(): string {
    return this.partial;
  }
}
