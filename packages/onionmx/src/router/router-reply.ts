/**
 * Reply forms: how a routing decision is written for the MTA asking.
 *  - direct:       `smtptor:[<onion>]:<port>` (Postfix transport(5); transport name configurable), for
 *                  Postfix whose smtp client runs through torsocks.
 *  - relay:        the address of peergroup's relay, for every onion-routed domain (Postfix
 *                  `lmtp:inet:HOST:PORT` / `smtp:[HOST]:PORT`, Exim `HOST::PORT`).
 *  - exim-route:   `<onion>::<port>` host list for a manualroute `route_data` (every target, in order,
 *                  `:`-separated without spaces).
 *  - exim-automap: `<virtual IPv4>::<port>`: the address Tor's DNSPort maps the onion to, because Exim's
 *                  SOCKS client only sends addresses.
 * A `tempfail` decision is always a tempfail answer, never not-found: not-found lets the MTA deliver in cleartext.
 */
import type { RouteDecision } from '../routing/route-decision.ts';
import type { Automapper } from './automap.ts';
import { formatHostPort, type HostPort } from '@peergroup/service';

export type ReplyFormName = 'direct' | 'relay' | 'exim-route' | 'exim-automap';
export const replyFormNames = ['direct', 'relay', 'exim-route', 'exim-automap'] as const;

/** What the router answers, before the protocol codec encodes it. */
export type LookupAnswer = { kind: 'found'; data: string } | { kind: 'notfound'; reason: string } | { kind: 'tempfail'; reason: string };

export interface ReplySettings {
  /** Postfix transport name for the direct form (master.cf service running smtp through torsocks). */
  transport: string;
  relay: { address: HostPort; protocol: 'lmtp' | 'smtp' };
  /** Required for exim-automap. */
  automapper?: Automapper;
}

/** Which MTA syntax the relay form uses; the listener's protocol decides. */
export type MtaSyntax = 'postfix' | 'exim';

/** One Exim host-list item with its port. Exim lists use `:` as separator, so the port's colon is doubled. */
function eximHost(host: string, port: number): string {
  return `${host}::${port}`;
}

/** An Exim host list. Items are joined without spaces: in route_data a space starts the options. */
function eximHostList(items: { host: string; port: number }[]): string {
  // IPv6 addresses are full of colons: switch the list separator to `;` (`<;`) and bracket them.
  if (items.some((i) => i.host.includes(':')))
    return `<;${items.map((i) => (i.host.includes(':') ? `[${i.host}]:${i.port}` : `${i.host}:${i.port}`)).join(';')}`;
  return items.map((i) => eximHost(i.host, i.port)).join(':');
}

export function relayReply(settings: ReplySettings, syntax: MtaSyntax): string {
  const { address, protocol } = settings.relay;
  if (syntax === 'exim') return eximHostList([address]);
  if (protocol === 'lmtp') return `lmtp:inet:${formatHostPort(address)}`;
  return `smtp:[${address.host}]:${address.port}`;
}

/**
 * The answer for every form that needs no I/O; undefined means "ask the automapper" (exim-automap for an onion
 * decision). Kept synchronous because it is on the hot path of every lookup.
 */
export function answerNow(
  decision: RouteDecision,
  form: ReplyFormName,
  settings: ReplySettings,
  syntax: MtaSyntax,
): LookupAnswer | undefined {
  if (decision.kind === 'tempfail') return { kind: 'tempfail', reason: decision.reason };
  if (decision.kind === 'none') return { kind: 'notfound', reason: decision.reason };
  switch (form) {
    case 'direct':
      return { kind: 'found', data: `${settings.transport}:[${decision.host}]:${decision.port}` };
    case 'relay':
      return { kind: 'found', data: relayReply(settings, syntax) };
    case 'exim-route':
      return { kind: 'found', data: eximHostList(decision.targets) };
    case 'exim-automap':
      return undefined;
  }
}

/** Turns a decision into the answer for `form`. Async only because exim-automap asks Tor's DNSPort. */
export async function answerFor(
  decision: RouteDecision,
  form: ReplyFormName,
  settings: ReplySettings,
  syntax: MtaSyntax,
): Promise<LookupAnswer> {
  const now = answerNow(decision, form, settings, syntax);
  if (now || decision.kind !== 'onion') return now!;
  // exim-automap for an onion decision.
  if (!settings.automapper) return { kind: 'tempfail', reason: 'exim-automap reply form has no Tor DNSPort configured' };
  const hosts: { host: string; port: number }[] = [];
  let firstFailure: string | undefined;
  for (const t of decision.targets) {
    const r = await settings.automapper.map(t.host);
    if (r.ok) hosts.push({ host: r.address, port: t.port });
    else firstFailure ??= r.reason;
  }
  // A partial list is still safe (every entry goes through Tor); an empty one must be retried later.
  if (hosts.length === 0) return { kind: 'tempfail', reason: firstFailure ?? 'no onion target to map' };
  return { kind: 'found', data: eximHostList(hosts) };
}
