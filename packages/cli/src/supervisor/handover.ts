import { ftruncateSync, mkdtempSync, openSync, rmdirSync, unlinkSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The resolved configuration of one child, handed over as an open file on the child's fd 3 that it reads as
 * `--config /dev/fd/3`. The file is unlinked before any child exists, so no other process can open, replace or race
 * on it by name, and nothing is left on disk after a crash. Unlike a pipe it can be read more than once (the service
 * commands read their file several times, and inbound again on SIGHUP): on Linux, opening /dev/fd/3 opens the file
 * itself afresh. A reload rewrites it in place before the child is sent SIGHUP.
 */
export class ConfigHandover {
  readonly fd: number;

  constructor(text: string) {
    const dir = mkdtempSync(join(tmpdir(), 'peergroup-serve-'));
    const path = join(dir, 'config.json');
    try {
      this.fd = openSync(path, 'wx+', 0o600);
    } finally {
      try {
        unlinkSync(path);
      } catch {
        // openSync failed before creating it
      }
      rmdirSync(dir);
    }
    this.write(text);
  }

  /** Replaces the content; only while the child is not reading it (before it starts, or before SIGHUP). */
  write(text: string): void {
    ftruncateSync(this.fd, 0);
    writeSync(this.fd, text, 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The path a child opens to read the file on its fd 3. */
export const handoverPath = '/dev/fd/3';
