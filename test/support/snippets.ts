/**
 * The documented configuration snippets (docs/snippets/*) as the e2e tests use them: the tests run the very lines
 * the docs tell operators to paste, with only the documented default ports swapped for the test's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

const root = new URL('../../', import.meta.url).pathname;

/** The text of docs/snippets/<name>. */
export const snippet = (name: string): string => readFileSync(join(root, 'docs/snippets', name), 'utf8');

/** main.cf `key = value` lines of a snippet, with the documented default ports swapped for the test's. */
export function mainCfFromSnippet(text: string, ports: Record<string, string> = {}): Record<string, string> {
  let t = text;
  for (const [from, to] of Object.entries(ports)) t = t.split(from).join(to);
  const out: Record<string, string> = {};
  for (const line of t.split('\n')) {
    const m = /^([a-z_]+)\s*=\s*(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/**
 * A YAML snippet parsed after swapping its documented values (ports, paths, the example domain) for the test's.
 * Each value to swap must occur, so a snippet edited under the test fails loudly instead of running unswapped.
 */
export function yamlFromSnippet(name: string, replace: Record<string, string> = {}): Record<string, Record<string, unknown>> {
  return parseYaml(textFromSnippet(name, replace)) as Record<string, Record<string, unknown>>;
}

/** A snippet's text with its documented values swapped for the test's (in order); each value must occur. */
export function textFromSnippet(name: string, replace: Record<string, string> = {}): string {
  let t = snippet(name);
  for (const [from, to] of Object.entries(replace)) {
    if (!t.includes(from)) throw new Error(`docs/snippets/${name} no longer mentions ${from}`);
    t = t.split(from).join(to);
  }
  return t;
}
