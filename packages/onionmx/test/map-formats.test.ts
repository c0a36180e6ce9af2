import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inferMapFormat, parseMap, parseNativeMap, parsePostfixMap, parseYamlMap } from '../src/routing/map-formats.ts';
import { OnionMap } from '../src/routing/onion-map.ts';
import { corruptOnion, newOnion } from '@peergroup/test-support/onions';

const A = newOnion();
const B = newOnion();

describe('native map format', () => {
  it('accepts DOMAIN ONION[:PORT] lines, normalising case, trailing dots and comments', () => {
    const text = `# our peers\n\nExample.ORG.   ${A.toUpperCase()}   # comment\nexample.net ${B}:2525\n*.peers.example ${A}\n`;
    const { entries, refused } = parseNativeMap(text, 'peers.map');
    assert.deepEqual(refused, []);
    assert.deepEqual(entries, [
      { domain: 'example.org', onion: A, port: 25, file: 'peers.map', line: 3 },
      { domain: 'example.net', onion: B, port: 2525, file: 'peers.map', line: 4 },
      { domain: '*.peers.example', onion: A, port: 25, file: 'peers.map', line: 5 },
    ]);
  });

  it('refuses each bad line with its line number and reason, and keeps the good ones', () => {
    const text = [
      `good.example ${A}`,
      `v2.example expyuzz4wqqyqhjn.onion`,
      `sum.example ${corruptOnion(B)}`,
      `clear.example mx.clear.example`,
      `lonely.example`,
      `many.example ${A} extra`,
      `port.example ${A}:70000`,
      `bad_domain!.example ${A}`,
      `user@addr.example ${A}`,
      `x.onion ${A}`,
    ].join('\n');
    const { entries, refused } = parseNativeMap(text, 'm');
    assert.deepEqual(
      entries.map((e) => e.domain),
      ['good.example'],
    );
    const byLine = new Map(refused.map((r) => [r.line, r.reason]));
    assert.match(byLine.get(2)!, /v2 onion services no longer exist/);
    assert.match(byLine.get(3)!, /checksum/);
    assert.match(byLine.get(4)!, /does not end in \.onion/);
    assert.match(byLine.get(5)!, /missing onion address/);
    assert.match(byLine.get(6)!, /found 3 fields/);
    assert.match(byLine.get(7)!, /port 70000 is outside/);
    assert.match(byLine.get(8)!, /invalid label/);
    assert.match(byLine.get(9)!, /is an address/);
    assert.match(byLine.get(10)!, /onion name/);
    assert.equal(refused.length, 9);
    assert.ok(refused.every((r) => r.file === 'm'));
  });
});

describe('postfix transport format', () => {
  it('reads smtptor:[onion] with and without a port, .domain wildcards and continuation lines', () => {
    const text = [
      '# transport map',
      `example.org     smtptor:[${A}]`,
      `example.net     smtptor:[${B}]:2525`,
      `.sub.example    smtptor:${A}`,
      `cont.example`,
      `    smtptor:[${B}]:26`,
    ].join('\n');
    const { entries, refused } = parsePostfixMap(text, 'transport');
    assert.deepEqual(refused, []);
    assert.deepEqual(
      entries.map((e) => [e.domain, e.onion, e.port, e.line]),
      [
        ['example.org', A, 25, 2],
        ['example.net', B, 2525, 3],
        ['*.sub.example', A, 25, 4],
        ['cont.example', B, 26, 5],
      ],
    );
  });

  it('refuses non-onion next hops, catch-alls, per-address keys and empty next hops', () => {
    const text = [
      `a.example smtp:[192.0.2.1]`,
      `* smtptor:[${A}]`,
      `user@b.example smtptor:[${A}]`,
      `c.example error:`,
      `d.example local`,
      `e.example smtptor:[${A}] junk`,
    ].join('\n');
    const { entries, refused } = parsePostfixMap(text, 'transport');
    assert.equal(entries.length, 0);
    assert.deepEqual(
      refused.map((r) => r.line),
      [1, 2, 3, 4, 5, 6],
    );
    assert.match(refused[0]!.reason, /does not end in \.onion/);
    assert.match(refused[1]!.reason, /catch-all/);
    assert.match(refused[2]!.reason, /is an address/);
    assert.match(refused[3]!.reason, /no next hop/);
    assert.match(refused[4]!.reason, /not transport:nexthop/);
    assert.match(refused[5]!.reason, /text after the next hop/);
  });
});

describe('community YAML format', () => {
  it('maps each onion to its list of domains with the line of every domain', () => {
    const text = `# onion-mx peers\n${A}:\n  - example.org\n  - Example.NET.\n"${B}:2525":\n  - other.example\n`;
    const { entries, refused } = parseYamlMap(text, 'peers.yml');
    assert.deepEqual(refused, []);
    assert.deepEqual(
      entries.map((e) => [e.domain, e.onion, e.port, e.line]),
      [
        ['example.org', A, 25, 3],
        ['example.net', A, 25, 4],
        ['other.example', B, 2525, 6],
      ],
    );
  });

  it('refuses bad onion keys, bad domains and non-string items with their lines', () => {
    const text = `${corruptOnion(A)}:\n  - a.example\n${B}:\n  - good.example\n  - "not a domain"\n  - [nested]\nexpyuzz4wqqyqhjn.onion:\n  - v2.example\n${A}: []\n`;
    const { entries, refused } = parseYamlMap(text, 'p.yml');
    assert.deepEqual(
      entries.map((e) => e.domain),
      ['good.example'],
    );
    assert.deepEqual(
      refused.map((r) => r.line),
      [1, 5, 6, 7, 9],
    );
    assert.match(refused[0]!.reason, /checksum/);
    assert.match(refused[1]!.reason, /not a valid domain name/);
    assert.match(refused[2]!.reason, /plain string/);
    assert.match(refused[3]!.reason, /v2/);
    assert.match(refused[4]!.reason, /no domains/);
  });

  it('an invalid onion key names the key and the domains under it, which are not routed', () => {
    const bad = corruptOnion(A);
    const { entries, refused } = parseYamlMap(
      `${bad}:\n  - a.example\n  - b.example\n${B}: [c.example]\nnot-an-onion: d.example\n`,
      'k.yml',
    );
    assert.deepEqual(
      entries.map((e) => e.domain),
      ['c.example'],
    );
    assert.deepEqual(
      refused.map((r) => [r.line, r.onion]),
      [
        [1, bad],
        [5, 'not-an-onion'],
      ],
    );
    assert.match(refused[0]!.reason, /checksum.*; its domains a\.example, b\.example are not routed$/);
    assert.match(refused[1]!.reason, /; its domains d\.example are not routed$/);
    const empty = parseYamlMap(`${bad}: []\n`, 'e.yml');
    assert.match(empty.refused[0]!.reason, /; no domains under it$/);
  });

  it('reports YAML syntax errors and a wrong top level with a line', () => {
    const broken = parseYamlMap(`${A}:\n  - a.example\n - b.example\n`, 'x.yml');
    assert.equal(broken.entries.length, 0);
    assert.ok(broken.refused.length >= 1);
    assert.match(broken.refused[0]!.reason, /not valid YAML/);
    const nested = parseYamlMap(`${A}:\n  domains: [a.example]\n${B}:\n`, 'n.yml');
    assert.deepEqual(
      nested.refused.map((r) => [r.line, r.reason]),
      [
        [1, 'the value must be a list of domains'],
        [3, 'no domains listed for this onion address'],
      ],
    );
    const list = parseMap(`- ${A}\n`, 'yaml', 'y.yml');
    assert.match(list.refused[0]!.reason, /top level/);
    assert.equal(list.refused[0]!.line, 1);
  });
});

describe('any format', () => {
  it('ignores a UTF-8 byte-order mark and CRLF line ends', () => {
    const native = parseMap(`\uFEFFexample.org ${A}\r\nexample.net ${B}\r\n`, 'native', 'win.map');
    assert.deepEqual(native.refused, []);
    assert.deepEqual(
      native.entries.map((e) => e.domain),
      ['example.org', 'example.net'],
    );
    const yaml = parseMap(`\uFEFF${A}:\r\n  - example.org\r\n`, 'yaml', 'win.yml');
    assert.deepEqual(yaml.refused, []);
    assert.equal(yaml.entries[0]?.line, 2);
  });
});

describe('OnionMap (merged maps)', () => {
  it('looks up exact domains first, then the closest wildcard; the first map wins for duplicates', () => {
    const first = parseNativeMap(`example.org ${A}\n*.example.org ${B}\n*.deep.example.org ${A}:26\n`, 'one');
    const second = parseNativeMap(`example.org ${B}\nexample.org ${A}\nnew.example ${B}\n`, 'two');
    const map = new OnionMap([first, second]);
    assert.equal(map.lookup('example.org')?.onion, A);
    assert.equal(map.lookup('mx.example.org')?.onion, B);
    assert.equal(map.lookup('a.deep.example.org')?.port, 26);
    assert.equal(map.lookup('deep.example.org')?.onion, B);
    assert.equal(map.lookup('new.example')?.onion, B);
    assert.equal(map.lookup('unknown.example'), undefined);
    assert.equal(map.lookup('org'), undefined);
    // The conflicting duplicate is refused with a pointer to the entry that won; the identical one is not.
    assert.equal(map.refused.length, 1);
    assert.equal(map.refused[0]!.file, 'two');
    assert.equal(map.refused[0]!.line, 1);
    assert.match(map.refused[0]!.reason, /already mapped to .* at one:1/);
    assert.equal(map.size, 4);
  });
});

describe('map format inference (a map configured without a format)', () => {
  it('*.yml and *.yaml are the community YAML format whatever they hold', () => {
    assert.equal(inferMapFormat('/etc/peergroup/community.yml', `${A}:\n  - a.example\n`), 'yaml');
    assert.equal(inferMapFormat('PEERS.YAML', `a.example ${A}\n`), 'yaml');
  });

  it('otherwise the lines decide: native ONION[:PORT] (bare or bracketed), Postfix transport:nexthop, YAML keys', () => {
    assert.equal(inferMapFormat('peers.map', `# peers\na.example ${A}\nb.example ${B}:2525\n*.c.example [${A}]:26\n`), 'native');
    assert.equal(
      inferMapFormat('transport', `a.example smtptor:[${A}]\n.sub.example smtptor:${B}:2525\ncont.example\n    smtptor:[${A}]\n`),
      'postfix',
    );
    assert.equal(inferMapFormat('transport', `a.example :[${A}]\n`), 'postfix', 'an empty transport name is still Postfix');
    assert.equal(inferMapFormat('peers.txt', `\uFEFF---\n${A}:\n  - a.example\n"${B}": [b.example]\n`), 'yaml');
    assert.equal(inferMapFormat('peers.txt', `- a.example\n`), 'yaml');
  });

  it('mixed or empty files stay native, the documented default, so the parser names the lines it cannot read', () => {
    assert.equal(inferMapFormat('mixed.map', `a.example ${A}\nb.example smtptor:[${B}]\n`), 'native');
    assert.equal(inferMapFormat('empty.map', '# nothing yet\n\n'), 'native');
    assert.equal(inferMapFormat('lonely.map', 'lonely.example\n'), 'native');
  });

  it('an inferred format parses the file without refusals', () => {
    const text = `${A}:\n  - a.example\n  - b.example\n`;
    assert.deepEqual(parseMap(text, inferMapFormat('community.map', text), 'community.map').refused, []);
  });
});
