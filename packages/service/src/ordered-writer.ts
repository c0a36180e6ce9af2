import type { Socket } from 'node:net';

/**
 * Replies leave in request order even though lookups finish out of order: each request takes a slot, and slots
 * are written from the head as soon as they are filled. An MTA (Postfix's socketmap and tcp_table clients, Exim's
 * readsocket) sends one request at a time, so the queue is usually one slot long and the reply is written the moment
 * its lookup finishes; Dovecot's dict client pipelines, and there a fast answer waits for the slower one before it.
 */
export class OrderedWriter {
  private readonly slots: { data: string | Buffer | undefined; after?: () => void }[] = [];
  constructor(private readonly socket: Socket) {}

  /** Reserves the next slot; call the returned function with the reply when it is ready. */
  reserve(): (data: string | Buffer) => void {
    const slot: { data: string | Buffer | undefined; after?: () => void } = { data: undefined };
    this.slots.push(slot);
    return (data) => {
      slot.data = data;
      this.flush();
    };
  }

  push(data: string | Buffer): void {
    this.reserve()(data);
  }

  /** Runs `fn` once every reply reserved so far has been written. */
  afterWritten(fn: () => void): void {
    if (this.slots.length === 0) fn();
    else this.slots.push({ data: '', after: fn });
    this.flush();
  }

  private flush(): void {
    while (this.slots.length > 0 && this.slots[0]!.data !== undefined) {
      const slot = this.slots.shift()!;
      if (slot.after) slot.after();
      else if (!this.socket.destroyed) this.socket.write(slot.data!);
    }
  }
}
