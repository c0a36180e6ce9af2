/**
 * Several services' Prometheus text expositions as one, each sample labelled `service="<name>"`. Every child has the
 * same process and Node.js metrics (and router and relay the same routing metrics), so plain concatenation would
 * repeat metric families, which Prometheus refuses; here each family is written once with every child's samples.
 */
export function mergeExpositions(bodies: { service: string; text: string }[]): string {
  const families = new Map<string, { help?: string; type?: string; samples: string[] }>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const { service, text } of bodies) {
    let current: string | undefined;
    for (const line of text.split('\n')) {
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(line);
      if (meta) {
        current = meta[2]!;
        const f = family(current);
        if (meta[1] === 'HELP') f.help ??= line;
        else f.type ??= line;
        continue;
      }
      if (line === '' || line.startsWith('#')) continue;
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
      if (!name) continue;
      // A sample belongs to the family announced above it (histogram _bucket/_sum/_count lines included).
      const owner = current !== undefined && name.startsWith(current) ? current : name;
      family(owner).samples.push(withLabel(line, name.length, 'service', service));
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    if (f.help) out.push(f.help);
    if (f.type) out.push(f.type);
    out.push(...f.samples);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

function withLabel(sample: string, nameEnd: number, label: string, value: string): string {
  const pair = `${label}="${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
  const rest = sample.slice(nameEnd);
  if (rest.startsWith('{}')) return `${sample.slice(0, nameEnd)}{${pair}}${rest.slice(2)}`;
  if (rest.startsWith('{')) return `${sample.slice(0, nameEnd)}{${pair},${rest.slice(1)}`;
  return `${sample.slice(0, nameEnd)}{${pair}}${rest}`;
}
