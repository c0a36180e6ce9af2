/**
 * SMTP replies (RFC 5321 §4.2) and EHLO keywords as the relay needs them: parsing what a far MX says and shaping
 * what we tell the MTA. Pure functions; the decoder is incremental so a reader can feed socket chunks.
 * (The relay's codec; issue 5 owns this file.)
 */

export interface SmtpReply {
  code: number;
  /** Text of every line without the code and separator. */
  lines: string[];
}

export class SmtpReplyError extends Error {
  override name = 'SmtpReplyError';
}

/** Upper bound for one reply line we buffer; RFC 5321 allows 512, real servers send more, none sends this much. */
const MAX_LINE = 16 * 1024;
/** A reply with more lines than this is hostile or broken. */
const MAX_LINES = 1000;

/** Incremental reply decoder: push bytes, get complete replies. */
export class SmtpReplyDecoder {
  private partial = '';
  private lines: string[] = [];
  private code: number | undefined;

  push(chunk: Buffer | string): SmtpReply[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > MAX_LINE) throw new SmtpReplyError(`reply line longer than ${MAX_LINE} bytes`);
    const out: SmtpReply[] = [];
    for (const raw of parts) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.length > MAX_LINE) throw new SmtpReplyError(`reply line longer than ${MAX_LINE} bytes`);
      const m = /^([2-5][0-9][0-9])([ -]|$)(.*)$/s.exec(line);
      if (!m) throw new SmtpReplyError(`malformed reply line: ${JSON.stringify(line.slice(0, 80))}`);
      const code = Number(m[1]);
      if (this.code !== undefined && code !== this.code)
        throw new SmtpReplyError(`reply code changed within a multi-line reply (${this.code} → ${code})`);
      this.code = code;
      this.lines.push(Buffer.from(m[3]!, 'latin1').toString('utf8'));
      if (this.lines.length > MAX_LINES) throw new SmtpReplyError('reply has too many lines');
      if (m[2] !== '-') {
        out.push({ code, lines: this.lines });
        this.code = undefined;
        this.lines = [];
      }
    }
    return out;
  }

  /** True when bytes of an unfinished reply are buffered. */
  get pending(): boolean {
    return this.partial.length > 0 || this.lines.length > 0;
  }
}

export type ReplyClass = 'ok' | 'intermediate' | 'tempfail' | 'permfail';

export function replyClass(code: number): ReplyClass {
  if (code < 300) return 'ok';
  if (code < 400) return 'intermediate';
  if (code < 500) return 'tempfail';
  return 'permfail';
}

/** RFC 3463 enhanced status code at the start of the text, if it has the reply's class. */
export function enhancedCode(reply: SmtpReply): string | undefined {
  const m = /^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)/.exec(reply.lines[0] ?? '');
  if (!m || Number(m[1]) !== Math.floor(reply.code / 100)) return undefined;
  return `${m[1]}.${m[2]}.${m[3]}`;
}

/** Reply text without its enhanced codes, lines joined, control characters blanked: one log-safe string. */
export function replyText(reply: SmtpReply): string {
  const enh = enhancedCode(reply);
  return reply.lines
    .map((l) => (enh && l.startsWith(enh) ? l.slice(enh.length).trimStart() : l))
    .join(' ')
    .replace(/[\x00-\x1f\x7f]/g, ' ')
    .trim();
}

/** Wire form of a reply, multi-line when needed. */
export function formatReply(reply: SmtpReply): string {
  const lines = reply.lines.length ? reply.lines : [''];
  return lines.map((l, i) => `${reply.code}${i < lines.length - 1 ? '-' : ' '}${l}`.trimEnd()).join('\r\n') + '\r\n';
}

/**
 * The answer passed to the MTA for a far-side reply: same code, `<enhanced> <who> said: <code> <text>`, so the MTA's
 * log names the onion that said it. One line (smtp-server and LMTP per-recipient replies take one).
 */
export function relayedReplyLine(reply: SmtpReply, from: string): { code: number; message: string } {
  const cls = Math.floor(reply.code / 100);
  const enh = enhancedCode(reply) ?? (cls === 2 ? '2.0.0' : cls === 3 ? '' : cls === 4 ? '4.0.0' : '5.0.0');
  return { code: reply.code, message: `${enh ? enh + ' ' : ''}${from} said: ${reply.code} ${replyText(reply)}`.slice(0, 900) };
}

/** EHLO keywords (upper case) → parameter string (may be empty). The first line is the greeting, not a keyword. */
export function parseEhloKeywords(reply: SmtpReply): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of reply.lines.slice(1)) {
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*)(?:[ =](.*))?$/.exec(line.trim());
    if (m) out.set(m[1]!.toUpperCase(), (m[2] ?? '').trim());
  }
  return out;
}
