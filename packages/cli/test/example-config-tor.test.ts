// packaging/peergroup.example.yaml: its commented DNS-through-Tor block, uncommented as an operator would, validates
// (the whole file as shipped is checked by test/e2e/serve.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { inboundConfigSchema, routingConfigSchema } from '@peergroup/onionmx';
import { newOnion } from '@peergroup/test-support/onions';

const text = readFileSync(new URL('../../../packaging/peergroup.example.yaml', import.meta.url), 'utf8');

test('the example config: the DNS-through-Tor block uncommented is a valid strict routing section', () => {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^\s*# DNS through Tor/.test(l));
  const end = lines.findIndex((l, i) => i > start && /^\s*dnssec:/.test(l));
  assert.ok(start > 0 && end > start, 'the block is between the resolver keys and dnssec');
  const onion = newOnion();
  // "# transport: tor" → "transport: tor" at the indentation of the surrounding keys; the prose comment lines stay.
  const uncommented = lines
    .map((l, i) => (i > start && i < end && !/^\s*# (DNS|with udp)/.test(l) ? l.replace(/^(\s*)# ?/, '$1') : l))
    .join('\n')
    .replace('5rkd...qd.onion', onion);
  const doc = parseYaml(uncommented) as { routing: unknown };
  const routing = routingConfigSchema.parse(doc.routing);
  assert.equal(routing.resolver.transport, 'tor');
  assert.deepEqual(routing.resolver.torDomains, ['*.example.net']);
  assert.deepEqual(routing.resolver.tor?.servers, [
    { address: { host: onion, port: 53 } },
    { address: { host: '192.0.2.53', port: 853 }, tls: { name: 'dns.example.net', ca: '/etc/peergroup/dns-ca.pem' } },
  ]);
  assert.equal(routing.resolver.tor?.timeout, 15_000);
  assert.equal(routing.resolver.tor?.idleTimeout, 300_000);
  // As shipped the block is off: plain UDP to the local validating resolver.
  assert.equal(routingConfigSchema.parse((parseYaml(text) as { routing: unknown }).routing).resolver.transport, 'udp');
});

test('the example config: inbound shows the dsn default', () => {
  const inbound = inboundConfigSchema.parse((parseYaml(text) as { inbound: unknown }).inbound);
  assert.equal(inbound.dsn, 'failure-only');
  assert.match(text, /^ {2}dsn: failure-only +# .*failure-only \| strip \| pass/m);
});
