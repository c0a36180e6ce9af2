/**
 * The MTA's message streamed to every open destination at once; a destination that fails mid-way drops out alone,
 * and the MTA's stream waits for the slowest one still alive.
 */
import { finished, type Readable } from 'node:stream';
import { relayTrouble } from '@peergroup/smtp-client';
import type { OutboundSession, Outcome } from './relay-delivery.ts';
import { isDotStuffed } from './relay-data-parser.ts';
import { errorWithCode, RELAY_REPLIES, relayReply } from './relay-replies.ts';

export interface Sink {
  session: OutboundSession;
  /** Set when this destination dropped out; its recipients get it. */
  failed?: Outcome;
}

/**
 * Resolves with the message size. An oversized message is read to its end (the MTA is still sending) but no far side
 * gets its end-of-data mark: the promise rejects with the 552 for the MTA. A pass-through stream (still dot-stuffed)
 * goes out verbatim; its size is the un-stuffed one the parser counts.
 */
export async function streamTo(source: Readable, sinks: Sink[], maxMessageSize: number): Promise<number> {
  const stuffed = isDotStuffed(source);
  let bytes = 0;
  let oversized = false;
  // A drain still awaited when the stream ends (it may end while paused): the data is not all written before it.
  let inflight: Promise<unknown> | undefined;
  const fail = (sink: Sink, err: unknown) => {
    sink.failed = relayTrouble(err, sink.session.who);
    sink.session.destroy();
  };
  // 'data' events rather than for-await: the async iterator's read() joins whatever is buffered into a new
  // Buffer, a copy of most of the message and a third of the relay's GC work (bench/relay).
  const onData = (chunk: Buffer) => {
    bytes = stuffed ? source.byteLength : bytes + chunk.length;
    if (oversized) return;
    if (bytes > maxMessageSize) {
      oversized = true;
      for (const sink of sinks) sink.session.destroy();
      return;
    }
    let waits: Promise<void>[] | undefined;
    for (const sink of sinks) {
      if (sink.failed) continue;
      let r: true | Promise<void>;
      try {
        r = sink.session.writeChunk(chunk, stuffed);
      } catch (err) {
        fail(sink, err);
        continue;
      }
      if (r !== true) (waits ??= []).push(r.catch((err: unknown) => fail(sink, err)));
    }
    if (waits) {
      source.pause();
      const wait = Promise.all(waits).then(() => {
        if (inflight === wait) inflight = undefined;
        source.resume();
      });
      inflight = wait;
    }
  };
  await new Promise<void>((resolve, reject) => {
    source.on('data', onData);
    finished(source, (err) => {
      source.off('data', onData);
      if (err) reject(err);
      else resolve();
    });
  });
  await inflight;
  if (stuffed) bytes = source.byteLength;
  if (oversized) throw errorWithCode(relayReply(RELAY_REPLIES.tooBig, maxMessageSize));
  return bytes;
}
