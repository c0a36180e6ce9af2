import { domainToASCII } from 'node:url';

/** Mail domain syntax checks shared by maps and the routing decision. Pure. */

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export type DomainCheck = { ok: true; domain: string } | { ok: false; reason: string };

/** Lower-cases, drops one trailing dot, converts IDN to A-labels, and checks LDH syntax (RFC 5321 §4.1.2). */
export function normaliseDomain(input: string): DomainCheck {
  let text = input.trim();
  if (text.endsWith('.')) text = text.slice(0, -1);
  if (text === '') return { ok: false, reason: 'empty domain' };
  if (text.startsWith('[')) return { ok: false, reason: `"${input}" is an address literal, not a domain` };
  // Non-ASCII: convert to punycode so map keys and recipients compare equal whatever the spelling.
  const ascii = /^[\x21-\x7e]+$/.test(text) ? text.toLowerCase() : domainToASCII(text);
  if (!ascii) return { ok: false, reason: `"${input}" is not a valid domain name` };
  if (ascii.length > 253) return { ok: false, reason: `"${input}" is longer than 253 characters` };
  const labels = ascii.split('.');
  if (labels.length < 2) return { ok: false, reason: `"${input}" has a single label; a mail domain needs at least two` };
  for (const label of labels) {
    if (!LABEL.test(label)) return { ok: false, reason: `"${input}" has an invalid label "${label}"` };
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return { ok: false, reason: `"${input}" looks like an IP address, not a domain` };
  return { ok: true, domain: ascii };
}

/** Domain part of `user@domain`, `<user@domain>` or a bare domain. */
export function domainOfRecipient(input: string): string {
  let text = input.trim();
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1);
  const at = text.lastIndexOf('@');
  return at >= 0 ? text.slice(at + 1) : text;
}

/** `example.org` matches exactly; `*.example.org` matches any subdomain (not example.org itself). */
export function matchesDomainPattern(domain: string, pattern: string): boolean {
  if (pattern.startsWith('*.')) return domain.endsWith(pattern.slice(1));
  if (pattern.startsWith('.')) return domain.endsWith(pattern);
  return domain === pattern;
}
