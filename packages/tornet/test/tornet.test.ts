// Tests of the private Tor network harness itself: real tor processes on loopback, no fakes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import {
  attachTornet,
  buildTorrc,
  dirAuthorityLine,
  startTornet,
  torTarget,
  writeTornetState,
  type AuthorityInfo,
  type NodeRole,
  type Tornet,
} from '../src/index.ts';
import { connectReplyLength, encodeConnect, encodeUserPass, socksConnect } from '../src/socks-probe.ts';
import { ControlReplyParser, TorControl } from '../src/tor-control.ts';
import type { HostPort } from '@peergroup/service';
import { sharedTornet } from '@peergroup/test-support/tornet';
import { isAlive } from '@peergroup/test-support/proc';

// ---- helpers -------------------------------------------------------------------------------------------------

function base32(buf: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** A well-formed v3 address nobody publishes: onion = base32(pubkey | checksum[0..2] | 0x03), rend-spec-v3 §6. */
function freshOnionAddress(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const version = Buffer.from([3]);
  const checksum = createHash('sha3-256')
    .update(Buffer.concat([Buffer.from('.onion checksum'), pub, version]))
    .digest()
    .subarray(0, 2);
  return `${base32(Buffer.concat([pub, checksum, version]))}.onion`;
}

async function bannerServer(banner: string): Promise<{ server: Server; addr: HostPort; connections: () => number }> {
  let n = 0;
  const server = createServer((s) => {
    n++;
    s.end(banner);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, addr: { host: '127.0.0.1', port: (server.address() as { port: number }).port }, connections: () => n };
}

function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.once('end', () => resolve(data));
    socket.once('error', reject);
  });
}

async function socksReply(net: Tornet, host: string, port: number, username?: string): Promise<number> {
  const res = await socksConnect(
    net.socks,
    { host, port },
    { timeoutMs: 60_000, ...(username ? { credentials: { username, password: 'x' } } : {}) },
  );
  if (res.ok) {
    res.socket.destroy();
    return 0;
  }
  return res.reply;
}

function dnsQueryA(server: HostPort, name: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no DNS answer for ${name}`));
    }, 10_000);
    sock.once('message', (msg) => {
      clearTimeout(timer);
      sock.close();
      const res = dnsPacket.decode(msg);
      resolve((res.answers ?? []).flatMap((a) => (a.type === 'A' ? [String(a.data)] : [])));
    });
    sock.send(
      dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }),
      server.port,
      server.host,
    );
  });
}

// ---- pure parts ----------------------------------------------------------------------------------------------

describe('torrc generation', () => {
  const auth: AuthorityInfo = { nickname: 'auth0', orPort: 5001, dirPort: 5002, v3ident: 'A'.repeat(40), fingerprint: 'B'.repeat(40) };
  const base = { dataDir: '/d', authorities: [auth], ownerPid: 77 };

  test('DirAuthority line carries orport, v3ident, dir address and fingerprint', () => {
    assert.equal(dirAuthorityLine(auth), `DirAuthority auth0 orport=5001 no-v2 v3ident=${'A'.repeat(40)} 127.0.0.1:5002 ${'B'.repeat(40)}`);
  });

  test('only the client opens a SocksPort; it has ExtendedErrors, a DNSPort and automapping', () => {
    const client = buildTorrc({ ...base, nickname: 'client', role: { kind: 'client', socksPort: 9, dnsPort: 10, controlPort: 11 } });
    assert.match(client, /^SocksPort 127\.0\.0\.1:9 ExtendedErrors$/m);
    assert.doesNotMatch(client, /^SocksPort 0$/m);
    assert.match(client, /^DNSPort 127\.0\.0\.1:10$/m);
    assert.match(client, /^AutomapHostsOnResolve 1$/m);
    assert.match(client, /^VanguardsLiteEnabled 0$/m);
    assert.match(client, /^UseEntryGuards 0$/m);
    const roles: NodeRole[] = [
      { kind: 'relay', orPort: 1 },
      { kind: 'authority', orPort: 1, dirPort: 2 },
      { kind: 'service', controlPort: 3, services: [] },
    ];
    for (const role of roles) {
      assert.match(buildTorrc({ ...base, nickname: 'x', role }), /^SocksPort 0$/m, role.kind);
    }
  });

  test('relays and authorities assume reachability; every node is tied to its owner and the test network', () => {
    const relay = buildTorrc({ ...base, nickname: 'relay0', role: { kind: 'relay', orPort: 7000 } });
    assert.match(relay, /^AssumeReachable 1$/m);
    assert.match(relay, /^ORPort 127\.0\.0\.1:7000$/m);
    assert.match(relay, /^TestingTorNetwork 1$/m);
    assert.match(relay, /^__OwningControllerProcess 77$/m);
    assert.match(relay, new RegExp(`^${dirAuthorityLine(auth)}$`, 'm'));
    const authority = buildTorrc({ ...base, nickname: 'auth0', role: { kind: 'authority', orPort: 5001, dirPort: 5002 } });
    for (const line of [
      'V3AuthoritativeDirectory 1',
      'TestingDirAuthVoteHSDir *',
      'TestingDirAuthVoteGuard *',
      'V3AuthVotingInterval 10',
      'AuthDirVoteStableGuaranteeMinUptime 0',
    ]) {
      assert.ok(authority.split('\n').includes(line), line);
    }
    assert.doesNotMatch(authority, /Sandbox 1/);
  });

  test('an exit relay exits to 127.0.0.1 only, is voted Exit, and the client then reads full descriptors', () => {
    const exit = buildTorrc({ ...base, nickname: 'relay1', role: { kind: 'exit', orPort: 7001 } }).split('\n');
    const policy = exit.filter((l) => /^Exit/.test(l));
    assert.deepEqual(policy, [
      'ExitRelay 1',
      'ExitPolicyRejectPrivate 0',
      'ExitPolicyRejectLocalInterfaces 0',
      'ExitPolicy accept 127.0.0.1:*',
      'ExitPolicy reject *:*',
    ]);
    assert.ok(exit.includes('ORPort 127.0.0.1:7001') && exit.includes('SocksPort 0'));
    assert.doesNotMatch(
      buildTorrc({ ...base, nickname: 'relay0', role: { kind: 'relay', orPort: 7000 } }),
      /^Exit/m,
      'a plain relay sets no exit policy (tor: not an exit)',
    );
    assert.match(
      buildTorrc({ ...base, nickname: 'auth0', role: { kind: 'authority', orPort: 1, dirPort: 2, exits: ['relay1'] } }),
      /^TestingDirAuthVoteExit relay1$/m,
    );
    assert.doesNotMatch(
      buildTorrc({ ...base, nickname: 'auth0', role: { kind: 'authority', orPort: 1, dirPort: 2 } }),
      /TestingDirAuthVoteExit/,
    );
    const client = (fullDescriptors?: boolean) =>
      buildTorrc({
        ...base,
        nickname: 'client',
        role: { kind: 'client', socksPort: 9, dnsPort: 10, controlPort: 11, ...(fullDescriptors ? { fullDescriptors } : {}) },
      });
    assert.match(client(true), /^UseMicrodescriptors 0$/m);
    assert.doesNotMatch(client(), /UseMicrodescriptors/);
  });

  test('service node maps each HiddenServiceDir to its target', () => {
    const svc = buildTorrc({
      ...base,
      nickname: 'service',
      role: { kind: 'service', controlPort: 3, services: [{ dir: '/d/hs-a', virtualPort: 25, target: { host: '::1', port: 2525 } }] },
    });
    assert.match(svc, /^HiddenServiceDir \/d\/hs-a\nHiddenServicePort 25 \[::1\]:2525$/m);
    assert.equal(torTarget({ host: 'localhost', port: 25 }), '127.0.0.1:25');
  });
});

describe('control reply parser', () => {
  test('joins multi-line replies, data blocks and split chunks; passes events through', () => {
    const p = new ControlReplyParser();
    assert.deepEqual(p.push('250-ServiceID=abc\r\n250 O'), []);
    assert.deepEqual(p.push('K\r\n650 HS_DESC UPLOADED abc UNKNOWN $X\r\n'), [
      { status: 250, lines: ['ServiceID=abc', 'OK'] },
      { status: 650, lines: ['HS_DESC UPLOADED abc UNKNOWN $X'] },
    ]);
    assert.deepEqual(p.push('250+circuit-status=\r\n1 BUILT\r\n..dot\r\n.\r\n250 OK\r\n'), [
      { status: 250, lines: ['circuit-status=\n1 BUILT\n.dot', 'OK'] },
    ]);
    assert.throws(() => p.push('garbage\r\n'), /malformed/);
  });
});

describe('SOCKS5 probe codec', () => {
  test('encodes CONNECT by name and user/pass', () => {
    assert.deepEqual([...encodeConnect('ab.onion', 25)], [5, 1, 0, 3, 8, ...Buffer.from('ab.onion'), 0, 25]);
    assert.deepEqual([...encodeUserPass({ username: 'u', password: 'pw' })], [1, 1, 0x75, 2, 0x70, 0x77]);
    assert.throws(() => encodeUserPass({ username: '', password: '' }), /1-255/);
  });
  test('measures replies of every address type and waits for partial ones', () => {
    assert.equal(connectReplyLength(Buffer.from([5, 0xf0, 0, 1, 0, 0, 0, 0, 0])), 0);
    assert.equal(connectReplyLength(Buffer.from([5, 0xf0, 0, 1, 0, 0, 0, 0, 0, 0, 9])), 10);
    assert.equal(connectReplyLength(Buffer.from([5, 0, 0, 3, 2, 0x61, 0x62, 0, 25])), 9);
    assert.equal(connectReplyLength(Buffer.alloc(22, 0).fill(5, 0, 1).fill(4, 3, 4)), 22);
    assert.throws(() => connectReplyLength(Buffer.from([4, 0, 0, 1, 0])), /not a SOCKS5/);
  });
});

// The private network boots while the shared-network tests run (tor mostly waits on its voting schedule, not CPU).
// Its first start meets a "port already taken" client (a wrapper around tor plays the process that won the race for the
// port), which must make startTornet start again with other ports.
const wrapperDir = mkdtempSync(join(tmpdir(), 'tornet-wrapper-'));
const portTakenMarker = join(wrapperDir, 'port-taken-once');
const torWrapper = join(wrapperDir, 'tor');
writeFileSync(
  torWrapper,
  [
    '#!/bin/sh',
    'case "$*" in',
    `  */client/torrc*) if [ ! -e '${portTakenMarker}' ]; then : > '${portTakenMarker}';`,
    '    echo "[warn] Could not bind to 127.0.0.1:9050: Address already in use. Is Tor already running?"; exit 1; fi;;',
    'esac',
    'exec tor "$@"',
    '',
  ].join('\n'),
  { mode: 0o755 },
);
const privateLog: string[] = [];
const privateNet = (async () => {
  const sink = await bannerServer('220 private-sink\r\n');
  try {
    const net = await startTornet({
      services: [{ name: 'mx', target: sink.addr }],
      relays: 2,
      torBinary: torWrapper,
      log: (l) => privateLog.push(l),
    });
    return { sink, net };
  } catch (err) {
    sink.server.close(); // a listening sink would keep this test file from ever exiting
    throw err;
  }
})();
privateNet.catch(() => undefined); // reported by the suite's before() hook

// ---- the suite's shared network -------------------------------------------------------------------------------

describe('shared tornet', { timeout: 300_000 }, () => {
  let net: Tornet;
  let sink: Awaited<ReturnType<typeof bannerServer>>;
  let onion: string;

  before(async () => {
    net = await sharedTornet();
    sink = await bannerServer('220 tornet-sink ESMTP\r\n');
    const t0 = Date.now();
    onion = (await net.addOnion(sink.addr)).hostname;
    process.stderr.write(`# addOnion reachable after ${Date.now() - t0} ms\n`);
  });
  after(() => sink.server.close());

  test('sharedTornet returns the same network to every caller in a process', async () => {
    assert.equal(await sharedTornet(), net);
  });

  test('a TCP banner behind an ephemeral onion is read through the client SOCKS port', async () => {
    assert.match(onion, /^[a-z2-7]{56}\.onion$/);
    const before = sink.connections();
    const res = await socksConnect(net.socks, { host: onion, port: 25 }, { timeoutMs: 60_000 });
    assert.ok(res.ok, `SOCKS reply ${res.ok ? 0 : res.reply}`);
    assert.equal(await readAll(res.socket), '220 tornet-sink ESMTP\r\n');
    // The readiness probe used an unmapped port, so only this test's connection reached the sink.
    assert.equal(sink.connections(), before + 1);
  });

  test('ExtendedErrors: 0xF0 for a fresh, well-formed v3 address nobody publishes', async () => {
    const fresh = freshOnionAddress();
    assert.match(fresh, /^[a-z2-7]{56}\.onion$/);
    assert.equal(await socksReply(net, fresh, 25), 0xf0);
  });

  test('ExtendedErrors: 0xF6 for a malformed onion address (bad checksum) and a v2-length one', async () => {
    const good = freshOnionAddress();
    // Flip the first checksum character: still 56 base32 characters, but the checksum no longer matches.
    const i = 52;
    const bad = good.slice(0, i) + (good[i] === 'a' ? 'b' : 'a') + good.slice(i + 1);
    assert.equal(await socksReply(net, bad, 25), 0xf6);
    assert.equal(await socksReply(net, 'abcdefghijklmnop.onion', 25), 0xf6);
  });

  test('0x05 for an unmapped virtual port, 0x01 when the target does not listen', async () => {
    assert.equal(await socksReply(net, onion, 2626), 0x05);
    const dead = await bannerServer('');
    const deadAddr = dead.addr;
    await new Promise<void>((r) => dead.server.close(() => r()));
    // addOnion does not need the target to listen: its probe uses an unmapped port.
    const deadOnion = await net.addOnion(deadAddr);
    try {
      assert.equal(await socksReply(net, deadOnion.hostname, 25), 0x01);
    } finally {
      await deadOnion.remove();
    }
  });

  test('two SOCKS usernames get two circuits, the same username shares one', async () => {
    const open = async (username: string): Promise<Socket> => {
      // The sink closes after its banner; a silent listener keeps the streams open while we look at them.
      const res = await socksConnect(
        net.socks,
        { host: quiet.hostname, port: 25 },
        { credentials: { username, password: 'x' }, timeoutMs: 60_000 },
      );
      assert.ok(res.ok, `SOCKS reply ${res.ok ? 0 : res.reply}`);
      return res.socket;
    };
    const held: Socket[] = [];
    const quietServer = createServer((s) => held.push(s));
    await new Promise<void>((r) => quietServer.listen(0, '127.0.0.1', () => r()));
    const quiet = await net.addOnion({ host: '127.0.0.1', port: (quietServer.address() as { port: number }).port });
    const sockets: Socket[] = [];
    const control = await TorControl.connect(net.clientControl);
    try {
      sockets.push(await open('alice'), await open('bob'), await open('alice'));
      const streams = (await control.getinfo('stream-status'))
        .split('\n')
        .map((l) => l.split(' '))
        .filter((f) => f[3] === `${quiet.hostname}:25` && f[1] === 'SUCCEEDED');
      assert.equal(streams.length, 3, `streams: ${JSON.stringify(streams)}`);
      const circuits = new Set(streams.map((f) => f[2]));
      assert.equal(circuits.size, 2, `two isolation groups, got circuits ${[...circuits].join(',')}`);
      const circuitStatus = await control.getinfo('circuit-status');
      for (const id of circuits) assert.match(circuitStatus, new RegExp(`^${id} BUILT `, 'm'));
    } finally {
      control.close();
      for (const s of sockets) s.destroy();
      for (const s of held) s.destroy();
      quietServer.close();
      await quiet.remove();
    }
  });

  test('the client DNSPort maps an onion name to a virtual IPv4 address that SOCKS accepts (Exim path)', async () => {
    const [ip] = await dnsQueryA(net.dns, onion);
    assert.ok(ip, 'an A record');
    assert.match(ip, /^127\.(19[2-9]|2[0-5]\d)\./, `automapped into 127.192.0.0/10, got ${ip}`);
    const res = await socksConnect(net.socks, { host: ip, port: 25 }, { timeoutMs: 60_000 });
    assert.ok(res.ok, `SOCKS reply ${res.ok ? 0 : res.reply}`);
    assert.equal(await readAll(res.socket), '220 tornet-sink ESMTP\r\n');
  });

  test('a removed onion stops answering new rendezvous', async () => {
    const extra = await net.addOnion(sink.addr);
    await extra.remove();
    const control = await TorControl.connect(net.control);
    try {
      const onions = await control.getinfo('onions/detached');
      assert.ok(!onions.includes(extra.hostname.replace('.onion', '')), 'DEL_ONION removed it from the service node');
      assert.ok(onions.includes(onion.replace('.onion', '')), 'the other onion stays');
    } finally {
      control.close();
    }
  });
});

// ---- a private network: HiddenServiceDir services, client restart, attach, and leaving nothing behind -------------

describe('private tornet', { timeout: 300_000 }, () => {
  let net: Tornet;
  let sink: Awaited<ReturnType<typeof bannerServer>>;
  let stateDir: string;

  before(async () => {
    ({ sink, net } = await privateNet);
    stateDir = mkdtempSync(join(tmpdir(), 'tornet-state-'));
  });
  after(async () => {
    await net?.stop();
    sink?.server.close();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    rmSync(wrapperDir, { recursive: true, force: true });
  });

  test('a port taken between choosing and binding makes startTornet start again with other ports', () => {
    assert.ok(existsSync(portTakenMarker), 'the first client start failed as arranged');
    assert.ok(
      privateLog.some((l) => /tor nodes? [^;]*\bclient could not bind (its port|their ports); starting again with other ports/.test(l)),
      privateLog.join('\n'),
    );
  });

  test('a HiddenServiceDir service is reachable as soon as startTornet resolves', async () => {
    assert.equal(net.services.length, 1);
    const svc = net.services[0]!;
    assert.equal(svc.name, 'mx');
    assert.ok(existsSync(join(svc.hiddenServiceDir, 'hs_ed25519_secret_key')));
    const res = await socksConnect(net.socks, { host: svc.hostname, port: 25 }, { timeoutMs: 60_000 });
    assert.ok(res.ok, `SOCKS reply ${res.ok ? 0 : res.reply}`);
    assert.equal(await readAll(res.socket), '220 private-sink\r\n');
  });

  test('an attached handle shares the network but cannot stop it or its client', async () => {
    const file = join(stateDir, 'state.json');
    writeTornetState(net, file);
    const other = attachTornet(file);
    assert.equal(other.attached, true);
    assert.deepEqual(other.socks, net.socks);
    assert.deepEqual(other.pids, net.pids);
    const o = await other.addOnion(sink.addr);
    const res = await socksConnect(net.socks, { host: o.hostname, port: 25 }, { timeoutMs: 60_000 });
    assert.ok(res.ok);
    assert.equal(await readAll(res.socket), '220 private-sink\r\n');
    await assert.rejects(other.stopClient(), /attached/);
    await other.stop();
    assert.ok(net.pids.every(isAlive), 'stopping an attached handle leaves tor running');
  });

  test('stopClient makes the SOCKS port refuse; startClient brings it back on the same port', async () => {
    const clientPidsBefore = net.pids;
    await net.stopClient();
    await assert.rejects(
      new Promise<void>((resolve, reject) => {
        const s = connect(net.socks.port, net.socks.host, () => {
          s.destroy();
          resolve();
        });
        s.once('error', reject);
      }),
      /ECONNREFUSED/,
    );
    assert.equal(net.pids.filter((p) => isAlive(p)).length, clientPidsBefore.length - 1);
    await net.startClient();
    const res = await socksConnect(net.socks, { host: net.services[0]!.hostname, port: 25 }, { timeoutMs: 60_000 });
    assert.ok(res.ok, `SOCKS reply ${res.ok ? 0 : res.reply}`);
    assert.equal(await readAll(res.socket), '220 private-sink\r\n');
  });

  test('after stop no tor process of the network remains and its directory is gone', async () => {
    const pids = net.pids;
    assert.equal(pids.length, 3 + 2 + 2);
    assert.ok(pids.every(isAlive));
    await net.stop();
    assert.deepEqual(pids.filter(isAlive), []);
    assert.equal(existsSync(net.dir), false);
    await net.stop(); // idempotent
  });
});
