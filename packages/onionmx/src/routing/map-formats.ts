import { createRequire } from 'node:module';
import type { LineCounter, Node } from 'yaml';
import { normaliseDomain } from './domain-name.ts';
import { parseOnionAddress } from './onion-address.ts';
import type { MapFormat } from './routing-config.ts';

/**
 * Parsers for the three map formats. Pure: text in, entries and refusals out. Every refusal carries the
 * file and line so an operator can fix it; a refused line never stops the others from loading.
 *
 * native:  `DOMAIN  ONION[:PORT]`, one per line, `#` comments; `*.DOMAIN` covers subdomains.
 * yaml:    the onion-MX community format, `ONION: [DOMAIN, ...]`.
 * postfix: transport(5) lines `DOMAIN  smtptor:[ONION]:PORT`; `.DOMAIN` covers subdomains.
 */

export const DEFAULT_SMTP_PORT = 25;

export interface MapEntry {
  /** Normalised domain, or `*.domain` for its subdomains. */
  domain: string;
  /** Normalised onion host (may carry a subdomain). */
  onion: string;
  port: number;
  file: string;
  line: number;
}

export interface MapRefusal {
  file: string;
  line: number;
  domain?: string;
  onion?: string;
  reason: string;
}

export interface ParsedMap {
  entries: MapEntry[];
  refused: MapRefusal[];
}

type Check<T> = { ok: true; value: T } | { ok: false; reason: string };

/** `domain`, `*.domain` (or the Postfix spelling `.domain`) → normalised key. */
export function parseDomainKey(text: string): Check<string> {
  let wildcard = false;
  let rest = text;
  if (rest.startsWith('*.')) {
    wildcard = true;
    rest = rest.slice(2);
  } else if (rest.startsWith('.')) {
    wildcard = true;
    rest = rest.slice(1);
  }
  if (rest.includes('@')) return { ok: false, reason: `"${text}" is an address; the map routes whole domains` };
  if (rest === '*' || rest === '') return { ok: false, reason: `"${text}" is a catch-all; the map routes named domains only` };
  const d = normaliseDomain(rest);
  if (!d.ok) return { ok: false, reason: d.reason };
  if (d.domain.endsWith('.onion')) return { ok: false, reason: `"${text}" is an onion name; map keys are mail domains` };
  return { ok: true, value: wildcard ? `*.${d.domain}` : d.domain };
}

/** `ONION`, `ONION:PORT`, `[ONION]`, `[ONION]:PORT` → host and port. */
export function parseOnionTarget(text: string): Check<{ onion: string; port: number }> {
  const m = /^\[([^\]]*)\](?::(\d+))?$/.exec(text) ?? /^([^:[\]]*)(?::(\d+))?$/.exec(text);
  if (!m) return { ok: false, reason: `"${text}" is not ONION or ONION:PORT` };
  const port = m[2] === undefined ? DEFAULT_SMTP_PORT : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, reason: `port ${m[2]} is outside 1-65535` };
  const parsed = parseOnionAddress(m[1]!);
  if (!parsed.ok) return { ok: false, reason: parsed.reason };
  return { ok: true, value: { onion: parsed.host, port } };
}

function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return hash >= 0 ? line.slice(0, hash) : line;
}

export function parseNativeMap(text: string, file: string): ParsedMap {
  const out: ParsedMap = { entries: [], refused: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const fields = stripComment(raw).trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) return;
    const [domainText, targetText] = fields as [string, string | undefined];
    if (fields.length !== 2) {
      out.refused.push({
        file,
        line,
        domain: domainText,
        reason:
          fields.length === 1 ? 'missing onion address after the domain' : `expected "DOMAIN ONION[:PORT]", found ${fields.length} fields`,
      });
      return;
    }
    addEntry(out, file, line, domainText, targetText!);
  });
  return out;
}

function addEntry(out: ParsedMap, file: string, line: number, domainText: string, targetText: string): void {
  const domain = parseDomainKey(domainText);
  if (!domain.ok) {
    out.refused.push({ file, line, domain: domainText, reason: domain.reason });
    return;
  }
  const target = parseOnionTarget(targetText);
  if (!target.ok) {
    out.refused.push({ file, line, domain: domain.value, onion: targetText, reason: target.reason });
    return;
  }
  out.entries.push({ domain: domain.value, onion: target.value.onion, port: target.value.port, file, line });
}

export function parsePostfixMap(text: string, file: string): ParsedMap {
  const out: ParsedMap = { entries: [], refused: [] };
  // postmap(1): a line starting with whitespace continues the previous one; '#' lines are comments.
  const logical: { line: number; text: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*#/.test(raw) || raw.trim() === '') return;
    const prev = logical[logical.length - 1];
    if (/^\s/.test(raw) && prev) prev.text += ' ' + raw.trim();
    else logical.push({ line: i + 1, text: raw.trim() });
  });
  for (const { line, text: entry } of logical) {
    const m = /^(\S+)\s+(.*)$/.exec(entry);
    if (!m) {
      out.refused.push({ file, line, domain: entry, reason: 'missing transport:nexthop after the domain' });
      continue;
    }
    const key = m[1]!;
    const value = m[2]!.trim();
    const colon = value.indexOf(':');
    if (colon < 0) {
      out.refused.push({ file, line, domain: key, reason: `"${value}" is not transport:nexthop` });
      continue;
    }
    const nexthop = value.slice(colon + 1).trim();
    if (nexthop === '') {
      out.refused.push({ file, line, domain: key, reason: `"${value}" has no next hop` });
      continue;
    }
    if (/\s/.test(nexthop)) {
      out.refused.push({ file, line, domain: key, reason: `"${value}" has text after the next hop` });
      continue;
    }
    addEntry(out, file, line, key, nexthop);
  }
  return out;
}

function lineOf(node: Node | null | undefined, counter: LineCounter): number {
  return node?.range ? counter.linePos(node.range[0]).line : 1;
}

export function parseYamlMap(text: string, file: string): ParsedMap {
  // Loaded only for a YAML map, synchronously so parseMap stays a plain function: a router or relay whose maps are
  // native or postfix never holds the YAML parser (a few MB of its idle memory), as config.ts does for config files.
  const { LineCounter, parseDocument, isMap, isScalar, isSeq } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const out: ParsedMap = { entries: [], refused: [] };
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: false });
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      out.refused.push({ file, line: err.linePos?.[0]?.line ?? 1, reason: `not valid YAML: ${err.message.split('\n')[0]}` });
    }
    return out;
  }
  if (doc.contents === null) return out;
  if (!isMap(doc.contents)) {
    out.refused.push({ file, line: lineOf(doc.contents, counter), reason: 'the top level must map onion addresses to lists of domains' });
    return out;
  }
  for (const pair of doc.contents.items) {
    const keyNode = pair.key as Node | null;
    const line = lineOf(keyNode, counter);
    const keyText = isScalar(keyNode) ? String(keyNode.value) : keyNode ? String(keyNode).trim() : '';
    const value = pair.value as Node | null;
    const items: Node[] = isSeq(value) ? (value.items as Node[]) : isScalar(value) && value.value !== null ? [value] : [];
    const target = parseOnionTarget(keyText);
    if (!target.ok) {
      // The operator looks for the domains that stopped being routed, not only for a 56-character key: name them too.
      const under = items.flatMap((n) => (isScalar(n) && n.value !== null ? [String(n.value)] : []));
      const domains = under.length > 0 ? `its domains ${under.join(', ')} are not routed` : 'no domains under it';
      out.refused.push({ file, line, onion: keyText || '(empty key)', reason: `${target.reason}; ${domains}` });
      continue;
    }
    if (value !== null && !isSeq(value) && !isScalar(value)) {
      out.refused.push({ file, line, onion: target.value.onion, reason: 'the value must be a list of domains' });
      continue;
    }
    if (items.length === 0) {
      out.refused.push({ file, line, onion: target.value.onion, reason: 'no domains listed for this onion address' });
      continue;
    }
    for (const item of items) {
      const itemLine = lineOf(item, counter);
      if (!isScalar(item) || typeof item.value !== 'string') {
        out.refused.push({ file, line: itemLine, onion: target.value.onion, reason: 'each domain must be a plain string' });
        continue;
      }
      const domain = parseDomainKey(item.value.trim());
      if (!domain.ok) {
        out.refused.push({ file, line: itemLine, domain: item.value, onion: target.value.onion, reason: domain.reason });
        continue;
      }
      out.entries.push({ domain: domain.value, onion: target.value.onion, port: target.value.port, file, line: itemLine });
    }
  }
  return out;
}

/** How one significant line of a map file reads, or undefined when it could be more than one format. */
function lineFormat(line: string): MapFormat | undefined {
  // YAML: a key ending in ':' (`ONION:`, `ONION: [a, b]`), a list item, or a flow mapping.
  if (/^\s*(- |-$|\{)/.test(line)) return 'yaml';
  const fields = line.trim().split(/\s+/);
  if (fields[0]!.endsWith(':')) return 'yaml';
  if (fields.length === 1) return undefined;
  // The second field tells native `ONION[:PORT]` from Postfix `transport:nexthop`: a transport name (a master.cf
  // service, possibly empty) has no dots or brackets, an onion host always has a dot.
  const colon = fields[1]!.indexOf(':');
  if (colon >= 0 && /^[\w-]*$/.test(fields[1]!.slice(0, colon))) return 'postfix';
  return fields[0]!.startsWith('.') ? undefined : 'native';
}

/**
 * The format of a map whose format was not configured: `.yml`/`.yaml` is the community YAML format; otherwise the
 * file's lines decide when they all read the same way. Anything mixed or empty stays native, the documented default,
 * so its parser names the lines it cannot read.
 */
export function inferMapFormat(file: string, raw: string): MapFormat {
  if (/\.ya?ml$/i.test(file)) return 'yaml';
  const seen = new Set<MapFormat>();
  for (const rawLine of raw.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (/^\s*(#|$)/.test(rawLine) || rawLine.trim() === '---') continue;
    // Postfix continuation lines start with white space and belong to the line above.
    if (/^\s/.test(rawLine) && !/^\s*- /.test(rawLine)) continue;
    const f = lineFormat(stripComment(rawLine));
    if (f) seen.add(f);
  }
  return seen.size === 1 ? [...seen][0]! : 'native';
}

export function parseMap(raw: string, format: MapFormat, file: string): ParsedMap {
  // Editors on some systems start UTF-8 files with a byte-order mark; it is not part of the first domain.
  const text = raw.replace(/^\uFEFF/, '');
  switch (format) {
    case 'native':
      return parseNativeMap(text, file);
    case 'yaml':
      return parseYamlMap(text, file);
    case 'postfix':
      return parsePostfixMap(text, file);
  }
}
