/**
 * Signed map updates: minisign signatures made at test time with libsodium (sodium-native, an implementation apart
 * from the Node/OpenSSL verifier under test), a map served by a small HTTP server behind an onion of the private Tor
 * network, fetched through Tor's SOCKS port. Good map → file replaced and the router uses it; bad signature, altered
 * trusted comment, truncated download, endless response, too large a drop, an invalid entry and an older signed map
 * (replay) → refused, the last good map kept.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sodium from 'sodium-native';
import { fetchMap, MapFetchError, signatureFileOf } from '../src/map-fetch/map-fetch.ts';
import { mapFetchSchema, type MapFetchInput } from '../src/map-fetch/map-fetch-config.ts';
import { MinisignError, parsePublicKey, verifyMinisign } from '../src/map-fetch/minisign.ts';
import { createRouteResolver } from '../src/routing/routing.ts';
import { routingConfig, routingConfigSchema } from '../src/routing/routing-config.ts';
import { newOnion } from '@peergroup/test-support/onions';
import { sharedTornet, type Tornet, type TornetOnion } from '@peergroup/test-support/tornet';

interface TestKey {
  publicKey: string;
  sign(data: Buffer, opts?: { trustedComment?: string; legacy?: boolean }): string;
}

/** A minisign key pair and signer following minisign's documented format, on libsodium. */
function makeKey(): TestKey {
  const pk = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
  const sk = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES);
  sodium.crypto_sign_keypair(pk, sk);
  const keyId = Buffer.alloc(8);
  sodium.randombytes_buf(keyId);
  const detached = (m: Buffer) => {
    const sig = Buffer.alloc(sodium.crypto_sign_BYTES);
    sodium.crypto_sign_detached(sig, m, sk);
    return sig;
  };
  return {
    publicKey: Buffer.concat([Buffer.from('Ed'), keyId, pk]).toString('base64'),
    sign(data, opts = {}) {
      const comment = opts.trustedComment ?? `timestamp:${Math.floor(Date.now() / 1000)}\tfile:map`;
      let signed = data;
      if (!opts.legacy) {
        signed = Buffer.alloc(64);
        sodium.crypto_generichash(signed, data);
      }
      const sig = detached(signed);
      const global = detached(Buffer.concat([sig, Buffer.from(comment)]));
      return `untrusted comment: signature from test key\n${Buffer.concat([Buffer.from(opts.legacy ? 'Ed' : 'ED'), keyId, sig]).toString('base64')}\ntrusted comment: ${comment}\n${global.toString('base64')}\n`;
    },
  };
}

const key = makeKey();
const otherKey = makeKey();
const onions = Array.from({ length: 10 }, () => newOnion());
const mapText = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `d${from + i}.example ${onions[(from + i) % 10]}`).join('\n') + '\n';

describe('minisign verification (signatures made with libsodium)', () => {
  const data = Buffer.from(mapText(3));
  const pub = parsePublicKey(key.publicKey);
  it('accepts the prehashed ED and the legacy Ed algorithm and returns the trusted comment', () => {
    assert.equal(verifyMinisign(data, key.sign(data, { trustedComment: 'timestamp:1 hello' }), pub).trustedComment, 'timestamp:1 hello');
    assert.equal(verifyMinisign(data, key.sign(data, { legacy: true }), pub).algorithm, 'Ed');
    assert.equal(verifyMinisign(data, key.sign(data), pub).algorithm, 'ED');
  });
  it('refuses other data, another key and an altered trusted comment', () => {
    assert.throws(() => verifyMinisign(Buffer.from(mapText(4)), key.sign(data), pub), /does not match the data/);
    assert.throws(() => verifyMinisign(data, otherKey.sign(data), pub), /not with the pinned key/);
    const altered = key.sign(data, { trustedComment: 'timestamp:1' }).replace('timestamp:1', 'timestamp:9');
    assert.throws(
      () => verifyMinisign(data, altered, pub),
      (e: unknown) => e instanceof MinisignError && /trusted comment has been altered/.test(e.message),
    );
    assert.throws(() => parsePublicKey('RWQnotakey'), MinisignError);
  });
});

describe('config: maps[].fetch', () => {
  it('validates the key, the URL and maxDrop, naming the key', () => {
    const bad = routingConfigSchema.safeParse({ maps: [{ path: '/x', fetch: { url: 'http://example.org/map', publicKey: 'nope' } }] });
    assert.equal(bad.success, false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    assert.ok(paths.includes('maps.0.fetch.publicKey'), paths.join(' '));
    assert.ok(paths.includes('maps.0.fetch.url'), 'plain http only to an onion');
    const ok = mapFetchSchema.parse({ url: `http://${newOnion()}/map`, publicKey: key.publicKey, maxDrop: '5%', interval: '1h' });
    assert.equal(ok.maxDrop, 0.05);
    assert.equal(ok.interval, 3_600_000);
    assert.equal(mapFetchSchema.safeParse({ url: `http://${newOnion()}/map`, publicKey: key.publicKey, viaTor: false }).success, false);
  });
});

describe('map fetch over the private Tor network', () => {
  let net: Tornet;
  let server: Server;
  let onion: TornetOnion;
  let dir: string;
  const files = new Map<string, Buffer | string>();
  const cfg = (path: string, extra: Partial<MapFetchInput> = {}) =>
    mapFetchSchema.parse({
      url: `http://${onion.hostname}/${path}`,
      publicKey: key.publicKey,
      socks: `${net.socks.host}:${net.socks.port}`,
      timeout: '60s',
      ...extra,
    });
  const serve = (name: string, data: string) => {
    files.set(name, data);
    files.set(`${name}.minisig`, key.sign(Buffer.from(data)));
  };
  const refused = async (p: Promise<unknown>, kind: 'refused' | 'temporary', re: RegExp) =>
    assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof MapFetchError, String(e));
      assert.equal(e.kind, kind, e.message);
      assert.match(e.message, re);
      return true;
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pg-map-fetch-'));
    server = createServer((req, res) => {
      const name = req.url!.slice(1);
      if (name === 'endless') {
        // A hostile server: an endless body without a length.
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        const pump = () => {
          while (res.write(chunk));
        };
        res.on('drain', pump);
        res.on('close', () => res.off('drain', pump));
        pump();
        return;
      }
      if (name === 'truncated') {
        const body = mapText(200);
        res.writeHead(200, { 'content-length': String(body.length) });
        res.write(body.slice(0, 100));
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      const body = files.get(name.replace(/^truncated(?=\.minisig$)/, 'big'));
      if (body === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': String(Buffer.byteLength(body)) }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    net = await sharedTornet();
    onion = await net.addOnion({ host: '127.0.0.1', port: (server.address() as { port: number }).port }, { virtualPort: 80 });
  });
  after(async () => {
    await onion?.remove().catch(() => undefined);
    await new Promise((r) => server?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a router with a fetched map that is not on disk yet fetches it at start and routes by it', async () => {
    serve('start', mapText(10));
    const path = join(dir, 'start.map');
    const r = await createRouteResolver(
      routingConfig({
        srv: false,
        watchMaps: true,
        maps: [
          {
            path,
            fetch: {
              url: `http://${onion.hostname}/start`,
              publicKey: key.publicKey,
              socks: `${net.socks.host}:${net.socks.port}`,
              timeout: '60s',
            },
          },
        ],
      }),
      { sighup: false },
    );
    try {
      const d = await r.decide('x@d3.example');
      assert.ok(d.kind === 'onion', JSON.stringify(d));
      assert.equal(d.host, onions[3]);
      assert.equal(readFileSync(path, 'utf8'), mapText(10));
      assert.match(readFileSync(signatureFileOf(path), 'utf8'), /^untrusted comment/);
    } finally {
      await r.close();
    }
  });

  it('replaces the file with a good signed map, says unchanged the second time', async () => {
    const path = join(dir, 'good.map');
    writeFileSync(path, mapText(10));
    serve('good', mapText(11));
    const r = await fetchMap({ path }, cfg('good'));
    assert.equal(r.outcome, 'replaced');
    assert.ok(r.outcome === 'replaced' && r.added === 1 && r.dropped === 0);
    assert.equal(readFileSync(path, 'utf8'), mapText(11));
    assert.equal((await fetchMap({ path }, cfg('good'))).outcome, 'unchanged');
  });

  it('keeps the last good map on a bad signature, a truncated download, an endless response, a big drop, an invalid entry and a replayed older map', async () => {
    const path = join(dir, 'kept.map');
    const good = mapText(10);
    writeFileSync(path, good);
    // Bad signature: signed by another key, then signed over other data.
    files.set('other', mapText(10, 1));
    files.set('other.minisig', otherKey.sign(Buffer.from(mapText(10, 1))));
    await refused(fetchMap({ path }, cfg('other')), 'refused', /signature refused: .*not with the pinned key/);
    files.set('forged', mapText(10, 1));
    files.set('forged.minisig', key.sign(Buffer.from(mapText(10, 2))));
    await refused(fetchMap({ path }, cfg('forged')), 'refused', /signature refused: the signature does not match/);
    // Truncated: the server announces more than it sends and hangs up.
    serve('big', mapText(200));
    await refused(fetchMap({ path }, cfg('truncated')), 'temporary', /cut short|aborted|socket hang up/);
    // Endless: cut off at maxSize.
    files.set('endless.minisig', key.sign(Buffer.from('x')));
    await refused(fetchMap({ path }, cfg('endless', { maxSize: 256 * 1024 })), 'refused', /more than maxSize 262144/);
    // Too large a drop: 10 → 7 of the same entries is 30 %.
    serve('drop', mapText(7));
    await refused(fetchMap({ path }, cfg('drop')), 'refused', /would drop 3 of 10 entries \(30 %\), more than maxDrop 20 %/);
    assert.equal((await fetchMap({ path: join(dir, 'drop-ok.map') }, cfg('drop'))).outcome, 'replaced', 'a first map drops nothing');
    // An invalid entry makes the whole map unacceptable, as map check would say.
    serve('invalid', mapText(10) + 'bad.example notanonion.onion\n');
    await refused(fetchMap({ path }, cfg('invalid')), 'refused', /1 invalid entries, map refused/);
    assert.equal(readFileSync(path, 'utf8'), good, 'the last good map is still there');
    assert.ok(!existsSync(signatureFileOf(path)));

    // Replay: an older signed map after a newer one was accepted.
    const now = Math.floor(Date.now() / 1000);
    files.set('new', mapText(10));
    files.set('new.minisig', key.sign(Buffer.from(mapText(10)), { trustedComment: `timestamp:${now}` }));
    files.set('old', mapText(10, 1));
    files.set('old.minisig', key.sign(Buffer.from(mapText(10, 1)), { trustedComment: `timestamp:${now - 3600}` }));
    assert.equal((await fetchMap({ path }, cfg('new'))).outcome, 'unchanged');
    assert.equal(readFileSync(signatureFileOf(path), 'utf8'), files.get('new.minisig'), 'the fresher signature of the same map is kept');
    await refused(fetchMap({ path }, cfg('old', { maxDrop: 1 })), 'refused', /older than the current map/);
    assert.equal(readFileSync(path, 'utf8'), good);
  });
});
