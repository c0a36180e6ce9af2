/**
 * Strict RCPT TO path parser for the onion inbound front.
 *
 * Mail arriving over Tor comes from loopback, which MTAs tend to trust, so every address form that some MTA somewhere
 * interprets as "forward this elsewhere" is refused here instead of being passed on: RFC 821 source routes, `%` hacks,
 * UUCP `!` paths, quoted local parts hiding an `@`, several `@`, address literals, trailing dots, backslash escapes and
 * Unicode look-alikes. What passes is a plain `local@domain` (or the domainless `<postmaster>` RFC 5321 requires).
 */

export type RecipientParse =
  | {
      ok: true;
      /** The path exactly as it will be forwarded: `local@domain` (domain lower-cased) or `postmaster`. */
      address: string;
      local: string;
      /** Lower-case ASCII domain; null only for the domainless `<postmaster>`. */
      domain: string | null;
      /** The raw ESMTP parameters after the path, e.g. `NOTIFY=SUCCESS ORCPT=rfc822;a@b`. */
      params: string;
    }
  | { ok: false; reason: string };

export interface RecipientParseOptions {
  /** The transaction declared SMTPUTF8: non-ASCII letters are allowed in the local part (never in the domain). */
  utf8?: boolean;
}

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_PATH = 256;

// RFC 5322 atext minus the characters with a routing meaning somewhere: `%` (percent hack), `!` (UUCP bang path)
// and `|` (pipe-to-command in some local delivery agents). `/` and a leading `-` are refused separately.
const ATEXT_ASCII = /^[A-Za-z0-9#$&'*+\-/=?^_`{}~]$/;
// Letters, marks and digits of any script; deliberately not symbols, spaces or format characters (zero-width joiners,
// bidi controls) nor the full-width / small commercial at (U+FF20, U+FE6B), which some software folds to `@`.
const UTF8_LOCAL_CHAR = /^[\p{L}\p{M}\p{N}]$/u;
// Characters allowed inside a quoted local part: space and the atext above, nothing with a routing or quoting meaning.
const QTEXT_SAFE = /^[ A-Za-z0-9#$&'*+\-/=?^_`{}~.]$/;

function refuse(reason: string): RecipientParse {
  return { ok: false, reason };
}

/**
 * Parses the argument of `RCPT TO:` as the client sent it (everything after the colon, e.g. `<a@b.example> NOTIFY=NEVER`).
 * Never throws.
 */
export function parseRcptArgument(argument: string, opts: RecipientParseOptions = {}): RecipientParse {
  const text = argument.replace(/^[ \t]+/, '');
  if (!text.startsWith('<')) return refuse('the recipient must be written in angle brackets: RCPT TO:<user@domain>');
  const close = findPathEnd(text);
  if (close < 0) return refuse('unterminated <path> or unexpected < inside it');
  const path = text.slice(1, close);
  const rest = text.slice(close + 1);
  if (rest !== '' && !/^[ \t]/.test(rest)) return refuse('garbage after the <path>');
  const parsed = parseRecipientPath(path, opts);
  if (!parsed.ok) return parsed;
  return { ...parsed, params: rest.trim() };
}

/** Index of the `>` that closes the path, honouring quoted strings; -1 if none or on a nested `<`. */
function findPathEnd(text: string): number {
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted) i++;
    else if (!quoted && c === '<') return -1;
    else if (!quoted && c === '>') return i;
  }
  return -1;
}

/** Parses the inside of `<...>`. */
export function parseRecipientPath(path: string, opts: RecipientParseOptions = {}): RecipientParse {
  if (path.length === 0) return refuse('empty recipient <>');
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH - 2) return refuse('recipient path longer than 256 octets');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) return refuse('control characters in the recipient');
  if (path.startsWith('@')) return refuse('source routes (<@relay:user@domain>) are not accepted');
  if (/^postmaster$/i.test(path)) return { ok: true, address: 'postmaster', local: 'postmaster', domain: null, params: '' };

  let local: string;
  let domainText: string;
  if (path.startsWith('"')) {
    const end = quotedEnd(path);
    if (end < 0) return refuse('unterminated quoted local part');
    const inner = path.slice(1, end);
    if (path[end + 1] !== '@') return refuse('a quoted local part must be followed by @domain');
    if (inner.includes('\\')) return refuse('backslash escapes in a quoted local part are not accepted');
    if (inner.includes('@')) return refuse('a quoted local part containing @ is not accepted');
    if (inner.includes('%')) return refuse('% in the local part (percent hack) is not accepted');
    if (inner.includes('!')) return refuse('! in the local part (bang path) is not accepted');
    if (inner.includes('|')) return refuse('| in the local part is not accepted');
    if (inner.length === 0) return refuse('empty quoted local part');
    for (const ch of inner) if (!QTEXT_SAFE.test(ch)) return refuse(`character ${describe(ch)} not accepted in a quoted local part`);
    local = path.slice(0, end + 1);
    domainText = path.slice(end + 2);
  } else {
    const at = path.indexOf('@');
    if (at < 0) return refuse('recipient has no @domain');
    if (path.indexOf('@', at + 1) >= 0) return refuse('more than one @ in the recipient');
    local = path.slice(0, at);
    domainText = path.slice(at + 1);
    const bad = checkDotAtomLocal(local, opts.utf8 === true);
    if (bad) return refuse(bad);
  }
  if (domainText.includes('@')) return refuse('more than one @ in the recipient');
  if (Buffer.byteLength(local, 'utf8') > MAX_LOCAL) return refuse('local part longer than 64 octets');
  const domainProblem = checkDomain(domainText);
  if (domainProblem) return refuse(domainProblem);
  const domain = domainText.toLowerCase();
  return { ok: true, address: `${local}@${domain}`, local, domain, params: '' };
}

function quotedEnd(path: string): number {
  for (let i = 1; i < path.length; i++) {
    if (path[i] === '\\') i++;
    else if (path[i] === '"') return i;
  }
  return -1;
}

function describe(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}${cp > 0x20 && cp < 0x7f ? ` "${ch}"` : ''}`;
}

function checkDotAtomLocal(local: string, utf8: boolean): string | undefined {
  if (local.length === 0) return 'empty local part';
  if (local.includes('%')) return '% in the local part (percent hack) is not accepted';
  if (local.includes('!')) return '! in the local part (bang path) is not accepted';
  if (local.includes(':') || local.includes(',')) return 'source-route punctuation (: or ,) in the local part';
  if (local.includes('"')) return 'stray quote in the local part';
  if (local.includes('\\')) return 'backslash in the local part';
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return 'leading, trailing or double dot in the local part';
  if (local.startsWith('-') || local.startsWith('/') || local.startsWith('|')) return `local part may not start with "${local[0]}"`;
  // MIME encoded-words have no meaning in an envelope; a decoder somewhere down the line could turn one into an @.
  if (/=\?[^?]*\?[bqBQ]\?/.test(local)) return 'MIME encoded-word (=?charset?q?...?=) in the local part';
  for (const ch of local) {
    if (ch === '.' || ATEXT_ASCII.test(ch)) continue;
    if (ch === '|') return '| in the local part is not accepted';
    if (utf8 && ch.codePointAt(0)! > 0x7f && UTF8_LOCAL_CHAR.test(ch)) continue;
    if (ch.codePointAt(0)! > 0x7f && !utf8) return `non-ASCII character ${describe(ch)} in the local part without SMTPUTF8`;
    return `character ${describe(ch)} not accepted in the local part`;
  }
  return undefined;
}

/** Hostname domain only: LDH labels, no literal, no trailing dot, ASCII (IDNs as A-labels, which is what DNS holds). */
function checkDomain(domain: string): string | undefined {
  if (domain.length === 0) return 'empty domain';
  if (domain.startsWith('[')) return 'address literals ([1.2.3.4]) are not accepted as recipient domains';
  if (domain.endsWith('.')) return 'trailing dot in the domain';
  if (domain.length > MAX_DOMAIN) return 'domain longer than 253 characters';
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(domain)) return 'non-ASCII domain: send the IDN as its xn-- A-label';
  const labels = domain.split('.');
  if (labels.length < 2) return 'domain must have at least two labels';
  for (const label of labels) {
    if (label.length === 0) return 'empty label (double dot) in the domain';
    if (label.length > 63) return 'domain label longer than 63 characters';
    if (!/^[A-Za-z0-9-]+$/.test(label)) return `domain label "${label}" has characters other than letters, digits and -`;
    if (label.startsWith('-') || label.endsWith('-')) return `domain label "${label}" starts or ends with -`;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return 'numeric top-level label (an IP address is not a domain)';
  return undefined;
}

/**
 * Splits a MAIL FROM / RCPT TO argument into the `<path>` (brackets excluded, verbatim) and the parameter text.
 * Null when there is no well-formed `<...>` at the start.
 */
export function splitPathArgument(argument: string): { path: string; params: string } | null {
  const text = argument.replace(/^[ \t]+/, '');
  if (!text.startsWith('<')) return null;
  const close = findPathEnd(text);
  if (close < 0) return null;
  const rest = text.slice(close + 1);
  if (rest !== '' && !/^[ \t]/.test(rest)) return null;
  return { path: text.slice(1, close), params: rest.trim() };
}
