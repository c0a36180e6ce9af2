import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { Socket } from 'node:net';
import { readFile, rename, rm, writeFile, open } from 'node:fs/promises';
import type { Logger } from '@peergroup/service';
import { silentLogger } from '@peergroup/service';
import { dialThroughTor, DialError, type Dialer } from '../relay/onion-dialer.ts';
import { inferMapFormat, parseMap } from '../routing/map-formats.ts';
import { OnionMap } from '../routing/onion-map.ts';
import type { MapFormat } from '../routing/routing-config.ts';
import { MinisignError, parsePublicKey, signedTimestamp, verifyMinisign, type MinisignPublicKey } from './minisign.ts';
import type { MapFetchConfig } from './map-fetch-config.ts';

/**
 * Fetches a curated map signed with minisign and replaces the local file only when every check passes: the signature
 * by the pinned key, no older than the map we have, every entry valid (as `map check`), and not dropping more than
 * `maxDrop` of our entries. The file is replaced by rename, so MapStore (which watches it) reloads a whole map or
 * nothing; on any failure the last good map stays.
 */

export class MapFetchError extends Error {
  override name = 'MapFetchError';
  constructor(
    message: string,
    /** temporary: network, size of a transfer cut short; refused: the data itself is not acceptable. */
    readonly kind: 'temporary' | 'refused',
  ) {
    super(message);
  }
}

export type MapFetchResult =
  | { outcome: 'replaced'; entries: number; dropped: number; added: number; trustedComment: string }
  | { outcome: 'unchanged'; entries: number; trustedComment: string };

export interface MapFetchOptions {
  logger?: Logger;
  dialer?: Dialer;
  /** Extra CA certificates for https (tests with a CA made at test time). */
  ca?: string | Buffer;
  /** Called after the file was replaced (MapStore reloads on its own when it watches the file; this is for when it does not). */
  onReplaced?: () => void;
}

/** The signature that was accepted with the current map, kept beside it. */
export function signatureFileOf(path: string): string {
  return `${path}.minisig`;
}

async function download(url: URL, cfg: MapFetchConfig, opts: MapFetchOptions, deadline: number): Promise<Buffer> {
  const dialer = opts.dialer ?? dialThroughTor;
  const https = url.protocol === 'https:';
  const port = Number(url.port || (https ? 443 : 80));
  const left = () => Math.max(1, deadline - Date.now());
  return new Promise<Buffer>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, data?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolve(data!);
    };
    const timer = setTimeout(
      () => finish(new MapFetchError(`${url.href}: no complete answer within ${cfg.timeout / 1000} s`, 'temporary')),
      left(),
    );
    const createConnection = cfg.viaTor
      ? (_o: unknown, cb: (err: Error | null, s?: Socket) => void) => {
          dialer({ socks: cfg.socks, host: url.hostname, port, isolationKey: `[map fetch ${url.host}]`, timeoutMs: left() }).then(
            (sock) => {
              sock.resume();
              if (!https) return cb(null, sock);
              const t = tlsConnect({ socket: sock, servername: url.hostname, ...(opts.ca ? { ca: opts.ca } : {}) });
              t.once('secureConnect', () => cb(null, t));
              t.once('error', (e) => cb(e));
            },
            (e: unknown) => cb(e instanceof DialError ? new Error(e.info.reason) : (e as Error)),
          );
          return undefined;
        }
      : undefined;
    const request = https ? httpsRequest : httpRequest;
    const req = request(url, {
      method: 'GET',
      headers: { 'user-agent': 'peergroup-onionmx-map-fetch', accept: '*/*' },
      ...(opts.ca && !cfg.viaTor ? { ca: opts.ca } : {}),
      // No agent: with one, Node would ignore createConnection and resolve the host itself (an onion name, in cleartext DNS).
      ...(createConnection ? { createConnection: createConnection as never } : {}),
    });
    req.on('error', (e) => finish(new MapFetchError(`${url.href}: ${e.message}`, 'temporary')));
    req.on('response', (res: IncomingMessage) => {
      if (res.statusCode !== 200) return finish(new MapFetchError(`${url.href}: HTTP ${res.statusCode}`, 'temporary'));
      const announced = Number(res.headers['content-length'] ?? NaN);
      if (announced > cfg.maxSize)
        return finish(new MapFetchError(`${url.href}: ${announced} bytes announced, more than maxSize ${cfg.maxSize}`, 'refused'));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        // Counted as it arrives: a hostile server that never stops costs maxSize bytes, not memory without end.
        if (size > cfg.maxSize) return finish(new MapFetchError(`${url.href}: more than maxSize ${cfg.maxSize} bytes`, 'refused'));
        chunks.push(c);
      });
      res.on('error', (e) => finish(new MapFetchError(`${url.href}: transfer cut short (${e.message})`, 'temporary')));
      res.on('aborted', () => finish(new MapFetchError(`${url.href}: transfer cut short`, 'temporary')));
      res.on('end', () => {
        if (!res.complete) return finish(new MapFetchError(`${url.href}: transfer cut short`, 'temporary'));
        finish(null, Buffer.concat(chunks));
      });
    });
    req.end();
  });
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MapFetchError(`${path}: cannot read the current map: ${(err as Error).message}`, 'temporary');
  }
}

async function writeAtomically(path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.fetch-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await writeFile(fh, data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new MapFetchError(`${path}: cannot write: ${(err as Error).message}`, 'temporary');
  }
}

/** One fetch: download, verify, check, replace. Throws MapFetchError and leaves the current file alone on any failure. */
export async function fetchMap(
  target: { path: string; format?: MapFormat | undefined },
  cfg: MapFetchConfig,
  opts: MapFetchOptions = {},
): Promise<MapFetchResult> {
  const deadline = Date.now() + cfg.timeout;
  const pub: MinisignPublicKey = parsePublicKey(cfg.publicKey);
  const url = new URL(cfg.url);
  const [data, sigData] = await Promise.all([
    download(url, cfg, opts, deadline),
    download(new URL(cfg.signatureUrl ?? `${cfg.url}.minisig`), cfg, opts, deadline),
  ]);
  const sigText = sigData.toString('utf8');
  let verified;
  try {
    verified = verifyMinisign(data, sigText, pub);
  } catch (err) {
    if (err instanceof MinisignError) throw new MapFetchError(`${url.href}: signature refused: ${err.message}`, 'refused');
    throw err;
  }
  const current = await readOptional(target.path);
  const previousSig = await readOptional(signatureFileOf(target.path));
  const newStamp = signedTimestamp(verified.trustedComment);
  if (previousSig) {
    let before: number | undefined;
    try {
      before = signedTimestamp(verifyMinisign(current ?? Buffer.alloc(0), previousSig.toString('utf8'), pub).trustedComment);
    } catch {
      before = undefined; // the stored pair no longer verifies (edited by hand, or another key): no rollback baseline
    }
    // A replayed older signed map (say, one that still lists a peer since moved) is as signed as the new one.
    if (before !== undefined && newStamp !== undefined && newStamp < before) {
      throw new MapFetchError(
        `${url.href}: signed at ${new Date(newStamp * 1000).toISOString()}, older than the current map (${new Date(before * 1000).toISOString()})`,
        'refused',
      );
    }
  }
  const text = data.toString('utf8');
  const format = target.format ?? inferMapFormat(target.path, text);
  const next = new OnionMap([parseMap(text, format, url.href)]);
  if (next.refused.length > 0) {
    const first = next.refused.slice(0, 5).map((r) => `line ${r.line}: ${r.reason}`);
    throw new MapFetchError(`${url.href}: ${next.refused.length} invalid entries, map refused (${first.join('; ')})`, 'refused');
  }
  if (current?.equals(data)) {
    // Same map, maybe a fresher signature: keeping it moves the replay baseline forward.
    if (!previousSig?.equals(sigData)) await writeAtomically(signatureFileOf(target.path), sigText);
    return { outcome: 'unchanged', entries: next.size, trustedComment: verified.trustedComment };
  }
  const nowDomains = new Set(next.entries.map((e) => e.domain));
  let dropped = 0;
  let before = 0;
  if (current) {
    const old = new OnionMap([
      parseMap(current.toString('utf8'), target.format ?? inferMapFormat(target.path, current.toString('utf8')), target.path),
    ]);
    before = old.size;
    for (const e of old.entries) if (!nowDomains.has(e.domain)) dropped++;
    if (before > 0 && dropped / before > cfg.maxDrop) {
      throw new MapFetchError(
        `${url.href}: would drop ${dropped} of ${before} entries (${Math.round((dropped / before) * 100)} %), more than maxDrop ${Math.round(cfg.maxDrop * 100)} %`,
        'refused',
      );
    }
  }
  // Signature first: a crash between the two renames leaves a new signature over the old map, which only turns off
  // the rollback check until the next fetch, never accepts anything unchecked.
  await writeAtomically(signatureFileOf(target.path), sigText);
  await writeAtomically(target.path, data);
  opts.logger?.info({ map: target.path, entries: next.size, dropped, comment: verified.trustedComment }, 'onion map fetched and replaced');
  return {
    outcome: 'replaced',
    entries: next.size,
    dropped,
    added: next.size - (before - dropped),
    trustedComment: verified.trustedComment,
  };
}

/** Fetches every `interval`; each failure is logged and the last good map stays. */
export function startMapFetcher(
  target: { path: string; format?: MapFormat | undefined },
  cfg: MapFetchConfig,
  opts: MapFetchOptions = {},
): { close(): void; runNow(): Promise<MapFetchResult | MapFetchError> } {
  const logger = opts.logger ?? silentLogger();
  let running: Promise<MapFetchResult | MapFetchError> | undefined;
  const runNow = () =>
    (running ??= fetchMap(target, cfg, { ...opts, logger })
      .then((r) => {
        if (r.outcome === 'replaced') opts.onReplaced?.();
        return r;
      })
      .catch((err: unknown) => {
        const e = err instanceof MapFetchError ? err : new MapFetchError((err as Error).message, 'temporary');
        logger.error({ map: target.path, url: cfg.url, kind: e.kind, err: e.message }, 'onion map fetch failed; keeping the last good map');
        return e;
      })
      .finally(() => (running = undefined)));
  const timer = cfg.interval ? setInterval(() => void runNow(), cfg.interval) : undefined;
  timer?.unref();
  return { close: () => clearInterval(timer), runNow };
}
