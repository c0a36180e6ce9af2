/**
 * Replies from a socket, in order, on `@peergroup/mta-codecs`' SmtpReplyDecoder. SMTP is request/response (or
 * pipelined, still in order), so reads are served first come, first served. A malformed reply or a lost connection
 * fails every pending and later read with an SmtpClientError; a read's own timeout fails only that read, so the
 * caller decides whether the connection is still worth anything (a session never reuses it).
 */
import type { Socket } from 'node:net';
import { SmtpReplyDecoder, type SmtpReply } from '@peergroup/mta-codecs';
import { SmtpClientError, type SmtpErrorKind, type SmtpPhase } from './errors.ts';

interface Waiter {
  phase: SmtpPhase;
  resolve: (r: SmtpReply) => void;
  reject: (e: SmtpClientError) => void;
  timer: NodeJS.Timeout | undefined;
}

export class ReplyReader {
  private readonly decoder = new SmtpReplyDecoder();
  private readonly ready: SmtpReply[] = [];
  private readonly waiters: Waiter[] = [];
  private failure: { kind: SmtpErrorKind; detail: string; cause?: unknown } | undefined;
  private attached = true;
  /** Settles when the socket closed (or the reader failed); never rejects. */
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    // A dialer hands over its socket paused, so that a peer that greets and closes at once is not missed.
    socket.resume();
  }

  /** True once the connection is lost or spoke broken SMTP: nothing more will come. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Replies received and not yet read. */
  get buffered(): number {
    return this.ready.length;
  }

  /** Stops listening (before a STARTTLS upgrade hands the socket to TLS); pending reads stay pending. */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onError);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
  }

  /**
   * The next reply. `timeoutMs` undefined or Infinity waits as long as the connection lasts; `phase` names the step
   * in the error.
   */
  read(timeoutMs?: number, phase: SmtpPhase = 'greeting'): Promise<SmtpReply> {
    if (this.waiters.length === 0) {
      const r = this.ready.shift();
      if (r) return Promise.resolve(r);
      if (this.failure) return Promise.reject(this.errorFor(phase));
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = { phase, resolve, reject, timer: undefined };
      if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
        w.timer = setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new SmtpClientError(phase, 'timeout', 'timeout'));
        }, timeoutMs);
      }
      this.waiters.push(w);
      this.flush();
    });
  }

  /** Fails the reader as if the connection was lost (the caller destroys the socket). */
  fail(kind: SmtpErrorKind, detail: string, cause?: unknown): void {
    this.failure ??= { kind, detail, cause };
    this.markClosed();
    this.flush();
  }

  private errorFor(phase: SmtpPhase): SmtpClientError {
    const f = this.failure!;
    return new SmtpClientError(phase, f.kind, f.detail, { cause: f.cause });
  }

  private readonly onData = (chunk: Buffer) => {
    try {
      for (const r of this.decoder.push(chunk)) this.ready.push(r);
    } catch (err) {
      this.fail('protocol', (err as Error).message, err);
      this.socket.destroy();
      return;
    }
    this.flush();
  };

  private readonly onError = (err: Error) =>
    this.fail('closed', `connection error (${(err as NodeJS.ErrnoException).code ?? err.message})`, err);
  private readonly onEnd = () => this.fail('closed', 'connection closed by the far side');

  private flush(): void {
    while (this.waiters.length > 0) {
      const r = this.ready.shift();
      if (r) {
        const w = this.waiters.shift()!;
        clearTimeout(w.timer);
        w.resolve(r);
      } else if (this.failure) {
        const w = this.waiters.shift()!;
        clearTimeout(w.timer);
        w.reject(this.errorFor(w.phase));
      } else return;
    }
  }
}
