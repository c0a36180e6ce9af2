/** The command-line knobs every SMTP throughput/memory bench takes, with the same defaults everywhere. */
import { parseArgs } from 'node:util';

export interface SmtpBenchArgs {
  /** 1 MB messages per throughput round, spread over `concurrency` connections. */
  messages: number;
  concurrency: number;
  /** Concurrent big messages in the memory run, each `bigMb` MB. */
  big: number;
  bigMb: number;
}

/** Parses `[--messages N] [--concurrency C] [--big N] [--big-mb MB]` from process.argv. */
export function smtpBenchArgs(): SmtpBenchArgs {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '4' },
      big: { type: 'string', default: '100' },
      'big-mb': { type: 'string', default: '25' },
    },
  });
  return {
    messages: Number(values.messages),
    concurrency: Number(values.concurrency),
    big: Number(values.big),
    bigMb: Number(values['big-mb']),
  };
}
