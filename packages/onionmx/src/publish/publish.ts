/**
 * `peergroup onionmx publish`: what an operator puts in torrc and in DNS so peers find our onion MX, and a check of
 * what DNS actually says, through the same SRV discovery the router uses (DNSSEC status included).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { duration, formatHostPort, hostPortSchema, withOlderNames } from '@peergroup/service';
import { parseOnionAddress } from '../routing/onion-address.ts';
import { systemResolvers } from '../routing/routing-config.ts';
import { SRV_PREFIX, type SrvLookup } from '../routing/srv-discovery.ts';

const domainName = z
  .string()
  .transform((s) => s.trim().toLowerCase().replace(/\.$/, ''))
  .refine((s) => /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/.test(s), {
    message: 'must be a domain name in ASCII (IDNs as xn-- A-labels)',
  });

export const publishConfigSchema = z
  .object({
    /** Tor's HiddenServiceDir of our onion MX; its `hostname` file names the onion. */
    hiddenServiceDir: z.string().min(1, 'is required'),
    domains: z.array(domainName).min(1, 'needs at least one domain'),
    /** Where `HiddenServicePort` sends the connections: the inbound front's listen address. */
    target: hostPortSchema.default(() => ({ host: '127.0.0.1', port: 2525 })),
    /** Onion-side port, and the SRV port. */
    port: z.number().int().min(1).max(65535).default(25),
    ttl: z.number().int().min(0).max(2147483647).default(3600),
    priority: z.number().int().min(0).max(65535).default(0),
    weight: z.number().int().min(0).max(65535).default(5),
    verify: withOlderNames(
      z
        .object({
          /** Resolvers for --verify; a validating resolver is needed for a meaningful DNSSEC status. */
          servers: z
            .array(hostPortSchema)
            .min(1, 'needs at least one IP:PORT')
            .default(() => systemResolvers()),
          /** Per try (a plain number means milliseconds). */
          timeout: duration({ unit: 'ms', min: 50, max: 60_000 }).default(2000),
          /** require: a record without the AD bit counts as a problem. */
          dnssec: z.enum(['off', 'prefer', 'require']).default('prefer'),
        })
        .strict(),
      { timeoutMs: 'timeout' },
    ).prefault({}),
  })
  .strict();

export type PublishConfig = z.output<typeof publishConfigSchema>;

export class PublishError extends Error {
  override name = 'PublishError';
}

/** Reads and validates `<dir>/hostname` as written by tor (a v3 onion address and a newline). */
export function readHiddenServiceHostname(dir: string): string {
  const file = join(dir, 'hostname');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT' ? ' (has tor started with this HiddenServiceDir yet?)' : code === 'EACCES' ? ' (run as the tor user or root)' : '';
    throw new PublishError(`cannot read ${file}: ${(err as Error).message}${hint}`);
  }
  const parsed = parseOnionAddress(text.trim());
  if (!parsed.ok) throw new PublishError(`${file}: ${parsed.reason}`);
  if (parsed.subdomain) throw new PublishError(`${file}: expected a bare onion address, got ${parsed.host}`);
  return parsed.address;
}

export function torrcLines(config: Pick<PublishConfig, 'hiddenServiceDir' | 'port' | 'target'>): string[] {
  return [`HiddenServiceDir ${config.hiddenServiceDir}`, `HiddenServicePort ${config.port} ${formatHostPort(config.target)}`];
}

/** `_onion-mx._tcp.example.org. 3600 IN SRV 0 5 25 <onion>.` */
export function srvRecordLine(domain: string, onion: string, config: Pick<PublishConfig, 'ttl' | 'priority' | 'weight' | 'port'>): string {
  return `${SRV_PREFIX}${domain}. ${config.ttl} IN SRV ${config.priority} ${config.weight} ${config.port} ${onion}.`;
}

export interface VerifyFinding {
  domain: string;
  ok: boolean;
  dnssec: boolean;
  /** What DNS publishes, `host:port` per usable target. */
  published: string[];
  problems: string[];
}

/** Compares what SRV discovery finds for each domain with the expected onion and port. */
export async function verifyPublished(
  onion: string,
  config: Pick<PublishConfig, 'domains' | 'port'> & { verify: Pick<PublishConfig['verify'], 'dnssec'> },
  lookup: (domain: string) => Promise<SrvLookup>,
): Promise<VerifyFinding[]> {
  const findings: VerifyFinding[] = [];
  for (const domain of config.domains) {
    const r = await lookup(domain);
    const problems: string[] = [];
    let published: string[] = [];
    let dnssec = false;
    const name = `${SRV_PREFIX}${domain}.`;
    if (r.kind === 'tempfail') {
      problems.push(`lookup of ${name} failed: ${r.reason}`);
    } else if (r.kind === 'none') {
      dnssec = r.dnssec;
      problems.push(`missing: no usable SRV record at ${name} (${r.reason})`);
    } else {
      dnssec = r.dnssec;
      published = r.targets.map((t) => `${t.host}:${t.port}`);
      const ours = r.targets.find((t) => t.host === onion);
      if (!ours) problems.push(`wrong: ${name} points to ${published.join(', ')}, not to ${onion}`);
      else if (ours.port !== config.port)
        problems.push(`wrong port: ${name} says ${ours.port} for ${onion}, the onion service listens on ${config.port}`);
      for (const t of r.targets) {
        if (t.host !== onion) problems.push(`extra target ${t.host}:${t.port}: peers will also try it`);
      }
      for (const rej of r.rejected) problems.push(`unusable target ${rej.target}:${rej.port}: ${rej.reason}`);
    }
    if (r.kind !== 'tempfail' && !dnssec && config.verify.dnssec === 'require') {
      problems.push('not DNSSEC-validated (no AD bit from the resolver): peers that require DNSSEC will not use the record');
    }
    findings.push({ domain, ok: problems.length === 0, dnssec, published, problems });
  }
  return findings;
}

export function formatFindings(findings: VerifyFinding[]): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.domain}: ${f.ok ? 'ok' : 'PROBLEM'}`);
    lines.push(`  dnssec     ${f.dnssec ? 'validated (AD bit)' : 'not validated'}`);
    if (f.published.length) lines.push(`  published  ${f.published.join(', ')}`);
    for (const p of f.problems) lines.push(`  problem    ${p}`);
  }
  return lines.join('\n') + '\n';
}
