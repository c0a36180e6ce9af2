import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '@peergroup/service';
import { silentLogger } from '@peergroup/service';
import { inferMapFormat, parseMap, type ParsedMap } from './map-formats.ts';
import { OnionMap } from './onion-map.ts';
import type { MapFormat } from './routing-config.ts';

export interface MapSource {
  path: string;
  /** Absent: inferred from the file name and content (inferMapFormat), the same for every command and config. */
  format?: MapFormat | undefined;
  /** A fetched map (maps[].fetch) may not exist before its first fetch: absent, it is an empty map. */
  fetch?: unknown;
}

/** Map files could not be loaded (unreadable file, or invalid entries under strictMaps). */
export class MapLoadError extends Error {
  override name = 'MapLoadError';
}

export async function loadMapFile(source: MapSource): Promise<ParsedMap> {
  let text = '';
  try {
    // An in-place edit seen half-way would load a truncated map; re-read until size and mtime hold still.
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = await stat(source.path);
      text = await readFile(source.path, 'utf8');
      const after = await stat(source.path);
      if (before.mtimeMs === after.mtimeMs && before.size === after.size && after.size === Buffer.byteLength(text)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  } catch (err) {
    if (source.fetch && (err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], refused: [] };
    throw new MapLoadError(`${source.path}: cannot read map: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseMap(text, source.format ?? inferMapFormat(source.path, text), source.path);
}

export async function loadMaps(sources: MapSource[], strict: boolean): Promise<OnionMap> {
  const parts = await Promise.all(sources.map(loadMapFile));
  const map = new OnionMap(parts);
  if (strict && map.refused.length > 0) {
    const lines = map.refused.map((r) => `  ${r.file}:${r.line}: ${r.reason}`);
    throw new MapLoadError(`invalid map entries (strictMaps is on):\n${lines.join('\n')}`);
  }
  return map;
}

export interface MapStoreOptions {
  strict: boolean;
  /** Reload when a file changes (inotify on the directory, so editors that rename-replace are seen). */
  watch: boolean;
  /** Reload on SIGHUP. Default true. */
  sighup?: boolean;
  logger?: Logger;
  /** Quiet period after a file event before reloading; editors write in several steps. */
  debounceMs?: number;
}

/**
 * Holds the current OnionMap. `current` is replaced atomically after a complete, successful load, so
 * lookups never fail or see a half-read file; a failed reload keeps the previous map and logs why.
 */
export class MapStore {
  private map: OnionMap;
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<boolean> | undefined;
  private again = false;
  private closed = false;
  private readonly logger: Logger;
  private readonly onHup = () => {
    this.logger.info('SIGHUP: reloading onion maps');
    void this.reload();
  };
  /** Incremented after each successful reload (tests and metrics wait on it). */
  generation = 0;
  private readonly listeners = new Set<(ok: boolean) => void>();

  private constructor(
    private readonly sources: MapSource[],
    private readonly opts: MapStoreOptions,
    initial: OnionMap,
  ) {
    this.map = initial;
    this.logger = opts.logger ?? silentLogger();
  }

  static async open(sources: MapSource[], opts: MapStoreOptions): Promise<MapStore> {
    const store = new MapStore(sources, opts, await loadMaps(sources, opts.strict));
    store.reportRefused(store.map);
    // Also without maps: SIGHUP's default action would terminate a daemon that was only asked to reload.
    if (opts.sighup !== false) process.on('SIGHUP', store.onHup);
    if (opts.watch) store.startWatching();
    return store;
  }

  get current(): OnionMap {
    return this.map;
  }

  /** Resolves after the next reload attempt finishes, with whether it succeeded. */
  nextReload(): Promise<boolean> {
    return new Promise((resolve) => {
      const fn = (ok: boolean) => {
        this.listeners.delete(fn);
        resolve(ok);
      };
      this.listeners.add(fn);
    });
  }

  /** Reloads every map; concurrent calls are folded into one follow-up reload. */
  reload(): Promise<boolean> {
    if (this.reloading) {
      this.again = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      let ok = false;
      do {
        this.again = false;
        try {
          const next = await loadMaps(this.sources, this.opts.strict);
          if (this.closed) return false;
          this.map = next;
          this.generation++;
          ok = true;
          this.reportRefused(next);
          this.logger.info({ entries: next.size, refused: next.refused.length, generation: this.generation }, 'onion maps reloaded');
        } catch (err) {
          ok = false;
          this.logger.error({ err: (err as Error).message }, 'onion map reload failed; keeping the previous maps');
        }
      } while (this.again && !this.closed);
      return ok;
    })().finally(() => {
      this.reloading = undefined;
    });
    const p = this.reloading;
    void p.then((ok) => {
      for (const fn of [...this.listeners]) fn(ok);
    });
    return p;
  }

  private reportRefused(map: OnionMap): void {
    for (const r of map.refused) {
      this.logger.warn({ file: r.file, line: r.line, domain: r.domain, onion: r.onion }, `map entry skipped: ${r.reason}`);
    }
  }

  private startWatching(): void {
    const byDir = new Map<string, Set<string>>();
    for (const s of this.sources) {
      const abs = resolve(s.path);
      const names = byDir.get(dirname(abs)) ?? new Set<string>();
      names.add(basename(abs));
      byDir.set(dirname(abs), names);
    }
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_event, filename) => {
          if (filename === null || names.has(filename.toString())) this.schedule();
        });
        w.on('error', (err) => this.logger.warn({ dir, err: err.message }, 'cannot watch map directory'));
        this.watchers.push(w);
      } catch (err) {
        this.logger.warn({ dir, err: (err as Error).message }, 'cannot watch map directory; reload with SIGHUP');
      }
    }
  }

  private schedule(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), this.opts.debounceMs ?? 100);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    process.off('SIGHUP', this.onHup);
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
  }
}
