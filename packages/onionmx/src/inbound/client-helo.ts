/**
 * The HELO name the MX records for the pseudo client. A Tor peer has no address the MX could check a name or literal
 * against, so whatever it claims is taken on its word by the MX (Received header, check_helo_access, Exim's
 * `$sender_helo_name`) — and rules written for the MX's own hosts tend to match `localhost`, `[127.0.0.1]`, private
 * literals and the provider's own names. Those claims, and every address literal (no literal is true over Tor),
 * become the neutral pseudo-client name instead.
 */
import { isIP } from 'node:net';

const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Names every system uses for itself (RFC 6761 §6.3 `localhost`, and the usual local-only suffixes). */
const SELF_NAMES = /(?:^|\.)(?:localhost|localdomain|local|internal|lan|home\.arpa)$/i;

export interface ClientHeloPolicy {
  /** Our own names: the front's `hostname`; the pseudo client may not claim it. */
  ownNames: readonly string[];
  /** Our domains: neither they nor any name under them may be claimed. */
  domains: Iterable<string>;
  /** The replacement: `forward.clientName`. */
  neutral: string;
}

/** What the MX is told the client's HELO was: `helo` when it claims nothing about us or a local network, else `neutral`. */
export function clientHelo(helo: string | undefined, policy: ClientHeloPolicy): string {
  if (!helo) return policy.neutral;
  const name = helo.toLowerCase();
  // Address literals ([1.2.3.4], [IPv6:...]) and bare addresses some clients send without brackets.
  if (name.startsWith('[') || isIP(name) !== 0) return policy.neutral;
  if (!HOST_NAME.test(name) || /^[0-9.]+$/.test(name)) return policy.neutral;
  if (SELF_NAMES.test(name)) return policy.neutral;
  for (const own of policy.ownNames) if (name === own.toLowerCase()) return policy.neutral;
  for (const d of policy.domains) if (name === d || name.endsWith(`.${d}`)) return policy.neutral;
  if (name === policy.neutral.toLowerCase()) return policy.neutral;
  return helo;
}
