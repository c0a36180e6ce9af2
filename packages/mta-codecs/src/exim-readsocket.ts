/**
 * The request/reply shape of Exim's `${readsocket{inet:HOST:PORT}{$domain\n}{3s}{ }{FAIL}}`: Exim writes the
 * request, half-closes its side and reads until EOF. One request per connection; the reply is raw text.
 * Pure functions; the router owns the socket.
 */

/** A domain or address is short; anything longer is not a request Exim's readsocket would send. */
export const EXIM_MAX_REQUEST = 1024;

export type EximRequest = { ok: true; key: string } | { ok: false; reason: string };

/**
 * Parses what Exim sent: a key ended by LF (CRLF tolerated) or by EOF alone. Only the first line counts;
 * more lines are an error because readsocket sends exactly one request.
 */
export function parseEximRequest(data: Buffer): EximRequest {
  let text = data.toString('utf8');
  const nl = text.indexOf('\n');
  if (nl >= 0) {
    if (text.slice(nl + 1).trim().length > 0) return { ok: false, reason: 'more than one request line' };
    text = text.slice(0, nl);
  }
  if (text.endsWith('\r')) text = text.slice(0, -1);
  const key = text.trim();
  if (key.length === 0) return { ok: false, reason: 'empty request' };
  if (/[\s\x00-\x1f\x7f]/.test(key)) return { ok: false, reason: 'request contains whitespace or control characters' };
  return { ok: true, key };
}

/** True once `data` holds a complete line; Exim may also just half-close without one. */
export function eximRequestComplete(data: Buffer): boolean {
  return data.includes(0x0a);
}

/** The prefix of a tempfail reply; the documented Exim router turns it into a defer. */
export const EXIM_DEFER_PREFIX = 'DEFER';

/**
 * Reply text, without a trailing newline (readsocket would turn it into its eol string):
 * found → the data (a host list), notfound → empty (route_data empty, the router declines),
 * tempfail → `DEFER <reason>`, which the documented router configuration turns into a defer.
 */
export function formatEximReply(
  answer: { kind: 'found'; data: string } | { kind: 'notfound'; reason: string } | { kind: 'tempfail'; reason: string },
): string {
  if (answer.kind === 'found') return answer.data;
  if (answer.kind === 'notfound') return '';
  return `${EXIM_DEFER_PREFIX} ${answer.reason.replace(/[\r\n]+/g, ' ')}`;
}
