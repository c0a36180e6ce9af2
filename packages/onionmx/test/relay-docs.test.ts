/** The operator guides show exactly the snippets the end-to-end tests run (docs/snippets/*). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const root = new URL('../../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');

const guides: Record<string, string[]> = {
  'docs/postfix.md': ['torrc-client', 'routing.yaml', 'router-relay.yaml', 'relay.yaml', 'postfix-relay-main.cf'],
  'docs/exim.md': [
    'torrc-client',
    'routing.yaml',
    'router-exim.yaml',
    'exim-socks-routers.conf',
    'exim-socks-transports.conf',
    'exim-relay-routers.conf',
    'exim-relay-transports.conf',
  ],
  'docs/onionmx-router.md': [
    'exim-socks-routers.conf',
    'exim-socks-transports.conf',
    'postfix-torsocks-master.cf',
    'postfix-torsocks-main.cf',
    'torsocks.conf',
  ],
};

for (const [guide, snippets] of Object.entries(guides)) {
  test(`${guide} shows the tested snippets verbatim`, () => {
    const text = read(guide);
    for (const name of snippets) {
      const snippet = read(`docs/snippets/${name}`).trimEnd();
      assert.ok(
        text.includes('```\n' + snippet + '\n```') || text.includes('```yaml\n' + snippet + '\n```'),
        `${guide} must contain docs/snippets/${name} as a code block`,
      );
    }
  });
}

test('no guide carries its own copy of the Exim router or transport lines', async () => {
  const { readdirSync } = await import('node:fs');
  const snippetLines = new Set(
    readdirSync(new URL('docs/snippets/', root))
      .filter((n) => n.startsWith('exim-'))
      .flatMap((n) =>
        read(`docs/snippets/${n}`)
          .split('\n')
          .map((l) => l.trim()),
      ),
  );
  for (const name of readdirSync(new URL('docs/', root)).filter((n) => n.endsWith('.md'))) {
    const lines = read(`docs/${name}`)
      .split('\n')
      .map((l) => l.trim());
    for (const line of lines.filter((l) => /^(route_data|socks_proxy|hosts_avoid_pipelining|protocol = lmtp)\b/.test(l))) {
      assert.ok(snippetLines.has(line), `docs/${name}: "${line}" is not from docs/snippets/exim-*.conf`);
    }
  }
});

test('the relay config snippet is a valid relay configuration', async () => {
  const { parse } = await import('yaml');
  const { relayConfigSchema } = await import('../src/relay/relay-config.ts');
  const doc = parse(read('docs/snippets/relay.yaml')) as { relay: unknown };
  const c = relayConfigSchema.parse(doc.relay);
  assert.deepEqual(c.lmtp, { host: '127.0.0.1', port: 10024 });
  assert.deepEqual(c.socks, { host: '127.0.0.1', port: 9050 });
});
