// Dovecot's dict client and Postfix may send the next request before the previous answer is out; lookups finish
// out of order (an Argon2id check takes milliseconds, a domain lookup microseconds), but answers must leave in
// request order. Each request reserves a slot; filled slots are written from the head.
import type { Socket } from 'node:net';

export class OrderedWriter {
  private readonly slots: { data: string | Buffer | undefined }[] = [];
  constructor(private readonly socket: Socket) {}

  reserve(): (data: string | Buffer) => void {
    const slot: { data: string | Buffer | undefined } = { data: undefined };
    this.slots.push(slot);
    return (data) => {
      slot.data = data;
      while (this.slots.length > 0 && this.slots[0]!.data !== undefined) {
        const s = this.slots.shift()!;
        if (!this.socket.destroyed) this.socket.write(s.data!);
      }
    };
  }
}

/** Rejects with `what timed out` after `ms`: a slow database becomes a temporary failure the client retries. */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}
