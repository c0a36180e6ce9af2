/**
 * Open-relay attempt patterns for the onion inbound front: the raw argument of `RCPT TO:` as a hostile client would
 * send it, with `ours.example` the provider's domain and `victim.example` someone else's. Shared by the parser's unit
 * table and the end-to-end open-relay suite against a real Postfix.
 */
export const OUR_DOMAIN = 'ours.example';
export const VICTIM = 'victim.example';

export interface RelayAttempt {
  name: string;
  /** Everything after `RCPT TO:`. */
  argument: string;
  /** Declare SMTPUTF8 on MAIL FROM first (non-ASCII tricks). */
  utf8?: boolean;
}

export const RELAY_ATTEMPTS: RelayAttempt[] = [
  { name: 'plain foreign domain', argument: '<user@victim.example>' },
  { name: 'foreign domain with DSN parameters', argument: '<user@victim.example> NOTIFY=NEVER' },
  { name: 'foreign postmaster', argument: '<postmaster@victim.example>' },
  { name: 'subdomain of a foreign domain ending like ours', argument: '<user@ours.example.victim.example>' },
  { name: 'look-alike domain containing ours', argument: '<user@victim-ours.example>' },
  { name: 'source route via our domain', argument: '<@ours.example:user@victim.example>' },
  { name: 'multi-hop source route', argument: '<@ours.example,@relay.example:user@victim.example>' },
  { name: 'degenerate source route', argument: '<@:user@victim.example>' },
  { name: 'source route to our own domain', argument: '<@victim.example:user@ours.example>' },
  { name: 'percent hack', argument: '<user%victim.example@ours.example>' },
  { name: 'double percent hack', argument: '<user%victim.example%ours.example@ours.example>' },
  { name: 'percent hack without @', argument: '<user%victim.example>' },
  { name: 'URL-encoded @', argument: '<user%40victim.example@ours.example>' },
  { name: 'MIME encoded-word hiding an @', argument: '<=?utf-8?q?user=40victim.example?=@ours.example>' },
  { name: 'UUCP bang path', argument: '<victim.example!user@ours.example>' },
  { name: 'multi-hop bang path', argument: '<ours.example!victim.example!user@ours.example>' },
  { name: 'bang path without @', argument: '<victim.example!user>' },
  { name: 'quoted local part containing @', argument: '<"user@victim.example"@ours.example>' },
  { name: 'quoted local part with escaped quote', argument: '<"user\\"@victim.example"@ours.example>' },
  { name: 'quoted local part containing %', argument: '<"user%victim.example"@ours.example>' },
  { name: 'quoted @domain only', argument: '<"@victim.example"@ours.example>' },
  { name: 'backslash-escaped @', argument: '<user\\@victim.example@ours.example>' },
  { name: 'two @, foreign first', argument: '<user@victim.example@ours.example>' },
  { name: 'two @, ours first', argument: '<user@ours.example@victim.example>' },
  { name: 'trailing @', argument: '<user@victim.example@>' },
  { name: 'trailing dot on a foreign domain', argument: '<user@victim.example.>' },
  { name: 'trailing dot on our domain', argument: '<user@ours.example.>' },
  { name: 'IPv4 address literal', argument: '<user@[192.0.2.7]>' },
  { name: 'loopback address literal', argument: '<user@[127.0.0.1]>' },
  { name: 'IPv6 address literal', argument: '<user@[IPv6:::1]>' },
  { name: 'single-label host', argument: '<user@localhost>' },
  { name: 'domain with a port', argument: '<user@victim.example:25>' },
  { name: 'list of two recipients', argument: '<user@ours.example>,<user@victim.example>' },
  { name: 'comma inside the path', argument: '<user@ours.example,user@victim.example>' },
  { name: 'comment in the local part', argument: '<user(victim.example)@ours.example>' },
  { name: 'no angle brackets', argument: 'user@victim.example' },
  { name: 'no angle brackets, ours then foreign', argument: 'user@ours.example <user@victim.example>' },
  { name: 'ideographic full stop in our domain (IDNA folds it to a dot)', argument: '<user@ours\u3002example>', utf8: true },
  { name: 'full-width @', argument: '<user\uff20victim.example@ours.example>', utf8: true },
  { name: 'enclosed-letter domain (IDNA folds it)', argument: '<user@\u24e5ictim.example>', utf8: true },
  { name: 'zero-width joiner in the local part', argument: '<us\u200der@ours.example>', utf8: true },
  { name: 'pipe to a command', argument: '<"|/bin/sh"@ours.example>' },
  { name: 'leading dash (argument injection)', argument: '<-oQ/tmp@ours.example>' },
];
