// Just enough of Tor's control protocol (control-spec.txt) for the tornet harness: commands, replies and 650 events.
import { connect, type Socket } from 'node:net';
import type { HostPort } from '@peergroup/service';

export interface ControlReply {
  status: number;
  /** One entry per reply line, without the status code and separator; data blocks ("250+") joined with \n. */
  lines: string[];
}

/**
 * Splits a control-port byte stream into complete replies. Feed it chunks; it returns the replies completed so far.
 * Async events (status 6xx) come out as replies too; the caller routes them.
 */
export class ControlReplyParser {
  private pending = '';
  private current: string[] = [];
  private dataBlock: string[] | null = null;

  push(chunk: string): ControlReply[] {
    this.pending += chunk;
    const out: ControlReply[] = [];
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl).replace(/\r$/, '');
      this.pending = this.pending.slice(nl + 1);
      if (this.dataBlock) {
        if (line === '.') {
          this.current[this.current.length - 1] += '\n' + this.dataBlock.join('\n');
          this.dataBlock = null;
        } else {
          this.dataBlock.push(line.startsWith('..') ? line.slice(1) : line);
        }
        continue;
      }
      const m = /^(\d{3})([ +-])(.*)$/.exec(line);
      if (!m) throw new Error(`malformed control reply line: ${JSON.stringify(line)}`);
      this.current.push(m[3]!);
      if (m[2] === '+') this.dataBlock = [];
      else if (m[2] === ' ') {
        out.push({ status: Number(m[1]), lines: this.current });
        this.current = [];
      }
    }
    return out;
  }
}

/** Quotes a string argument per the control spec's QuotedString. */
export function quoteControlString(s: string): string {
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

export class TorControl {
  private readonly parser = new ControlReplyParser();
  private readonly waiting: { resolve(r: ControlReply): void; reject(e: Error): void }[] = [];
  private readonly eventListeners = new Set<(line: string) => void>();
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      let replies: ControlReply[];
      try {
        replies = this.parser.push(chunk);
      } catch (err) {
        socket.destroy(err as Error);
        return;
      }
      for (const r of replies) {
        if (r.status >= 600 && r.status < 700) {
          for (const line of r.lines) for (const l of this.eventListeners) l(line);
        } else {
          this.waiting.shift()?.resolve(r);
        }
      }
      this.updateRef();
    });
    const fail = (err: Error): void => {
      this.closedError ??= err;
      for (const w of this.waiting.splice(0)) w.reject(this.closedError);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('tor control connection closed')));
    this.updateRef();
  }

  /** Connects and authenticates (the harness's tor nodes use no control authentication: loopback test networks only). */
  static async connect(addr: HostPort, timeoutMs = 10_000): Promise<TorControl> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: addr.host, port: addr.port });
      const timer = setTimeout(() => s.destroy(new Error(`tor control ${addr.host}:${addr.port}: connect timed out`)), timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeListener('error', onError);
        resolve(s);
      });
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      s.once('error', onError);
    });
    const control = new TorControl(socket);
    await control.command('AUTHENTICATE');
    return control;
  }

  /** Keeps the process alive only while a reply is awaited or a waiter is registered, so test files can exit. */
  private holds = 0;
  private updateRef(): void {
    if (this.waiting.length > 0 || this.holds > 0) this.socket.ref();
    else this.socket.unref();
  }

  /** Sends one command; rejects unless the reply status is 250. */
  async command(line: string): Promise<ControlReply> {
    if (this.closedError) throw this.closedError;
    const reply = await new Promise<ControlReply>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.updateRef();
      this.socket.write(line + '\r\n');
    });
    if (reply.status !== 250) {
      throw new Error(`tor control "${line.split(' ')[0]}" failed: ${reply.status} ${reply.lines.join(' / ')}`);
    }
    return reply;
  }

  /** GETINFO key → value. */
  async getinfo(key: string): Promise<string> {
    const reply = await this.command(`GETINFO ${key}`);
    const first = reply.lines[0] ?? '';
    const prefix = `${key}=`;
    if (!first.startsWith(prefix)) throw new Error(`unexpected GETINFO ${key} reply: ${first}`);
    return first.slice(prefix.length).replace(/^\n/, '');
  }

  onEvent(listener: (line: string) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Resolves with the first event line matching `pred`; keeps the process alive meanwhile. */
  waitForEvent(pred: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.holds++;
      this.updateRef();
      const done = (): void => {
        off();
        clearTimeout(timer);
        this.holds--;
        this.updateRef();
      };
      const off = this.onEvent((line) => {
        if (pred(line)) {
          done();
          resolve(line);
        }
      });
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
