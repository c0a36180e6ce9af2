import type { MapEntry, MapRefusal, ParsedMap } from './map-formats.ts';

/**
 * The merged, immutable view of every configured map. Lookups are synchronous, so a reload swaps the whole
 * object and a lookup in flight always sees one consistent version.
 */
export class OnionMap {
  private readonly exact = new Map<string, MapEntry>();
  private readonly wildcard = new Map<string, MapEntry>();
  readonly entries: readonly MapEntry[];
  readonly refused: readonly MapRefusal[];

  constructor(parts: ParsedMap[]) {
    const entries: MapEntry[] = [];
    const refused: MapRefusal[] = [];
    for (const part of parts) {
      refused.push(...part.refused);
      for (const entry of part.entries) {
        const table = entry.domain.startsWith('*.') ? this.wildcard : this.exact;
        const key = entry.domain.startsWith('*.') ? entry.domain.slice(2) : entry.domain;
        const first = table.get(key);
        if (first) {
          // Same mapping twice is harmless; two different onions for one domain is an operator error to report.
          if (first.onion === entry.onion && first.port === entry.port) continue;
          refused.push({
            file: entry.file,
            line: entry.line,
            domain: entry.domain,
            onion: entry.onion,
            reason: `${entry.domain} is already mapped to ${first.onion}:${first.port} at ${first.file}:${first.line}`,
          });
          continue;
        }
        table.set(key, entry);
        entries.push(entry);
      }
    }
    this.entries = entries;
    this.refused = refused;
  }

  /** Exact domain first, then the closest `*.parent` entry. */
  lookup(domain: string): MapEntry | undefined {
    const hit = this.exact.get(domain);
    if (hit) return hit;
    let rest = domain;
    for (let dot = rest.indexOf('.'); dot >= 0; dot = rest.indexOf('.')) {
      rest = rest.slice(dot + 1);
      const w = this.wildcard.get(rest);
      if (w) return w;
    }
    return undefined;
  }

  get size(): number {
    return this.entries.length;
  }
}
