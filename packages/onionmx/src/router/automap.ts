/**
 * Maps an onion hostname to the IPv4 address Tor's DNSPort hands out when AutomapHostsOnResolve is on.
 * Exim's SOCKS client only sends addresses, never names, so Tor must map the onion to a virtual address
 * first; Tor then turns a SOCKS CONNECT to that address back into the onion.
 *
 * An answer outside Tor's VirtualAddrNetworkIPv4 means the resolver is not Tor's DNSPort (or is
 * misconfigured): using it would connect in cleartext to a real address, so it is a temporary failure.
 */

export interface ALookupResult {
  addresses: string[];
  /** TTL of the answer in seconds. */
  ttl: number;
}

/** Queries A records for `name` from Tor's DNSPort. Throws on timeout/SERVFAIL/NXDOMAIN. */
export type ALookup = (name: string) => Promise<ALookupResult>;

export interface AutomapOptions {
  lookupA: ALookup;
  /** Tor's VirtualAddrNetworkIPv4, default 127.192.0.0/10. */
  network: string;
  /** Mappings are reused for their TTL, clamped to [minTtl, maxTtl] seconds. */
  minTtl: number;
  maxTtl: number;
  now?: () => number;
}

export type AutomapResult = { ok: true; address: string; cached: boolean } | { ok: false; reason: string };

export interface Automapper {
  map(onion: string): Promise<AutomapResult>;
}

export interface Ipv4Network {
  base: number;
  mask: number;
  text: string;
}

export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Parses `a.b.c.d/len` (the form of Tor's VirtualAddrNetworkIPv4). */
export function parseIpv4Network(text: string): Ipv4Network {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  const base = m ? parseIpv4(m[1]!) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (base === undefined || !(bits >= 0 && bits <= 32)) throw new Error(`"${text}" is not an IPv4 network (a.b.c.d/len)`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (base & mask) >>> 0, mask, text };
}

export function ipv4InNetwork(address: string, net: Ipv4Network): boolean {
  const ip = parseIpv4(address);
  return ip !== undefined && (ip & net.mask) >>> 0 === net.base;
}

export function createAutomapper(opts: AutomapOptions): Automapper {
  const net = parseIpv4Network(opts.network);
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { address: string; expires: number }>();
  const inflight = new Map<string, Promise<AutomapResult>>();

  async function resolve(onion: string): Promise<AutomapResult> {
    let answer: ALookupResult;
    try {
      answer = await opts.lookupA(onion);
    } catch (err) {
      return { ok: false, reason: `Tor DNSPort lookup of ${onion} failed: ${(err as Error).message}` };
    }
    const address = answer.addresses.find((a) => ipv4InNetwork(a, net));
    if (!address) {
      const got = answer.addresses.length ? answer.addresses.join(', ') : 'no address';
      return {
        ok: false,
        reason: `Tor DNSPort returned ${got} for ${onion}, not an address in ${net.text} (is AutomapHostsOnResolve on?)`,
      };
    }
    const ttl = Math.min(Math.max(answer.ttl, opts.minTtl), opts.maxTtl);
    cache.set(onion, { address, expires: now() + ttl * 1000 });
    return { ok: true, address, cached: false };
  }

  return {
    map(onion) {
      const key = onion.toLowerCase();
      const hit = cache.get(key);
      if (hit && hit.expires > now()) return Promise.resolve({ ok: true, address: hit.address, cached: true });
      if (hit) cache.delete(key);
      let p = inflight.get(key);
      if (!p) {
        p = resolve(key).finally(() => inflight.delete(key));
        inflight.set(key, p);
      }
      return p;
    },
  };
}
