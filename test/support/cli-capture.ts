import { Writable } from 'node:stream';

type Main = (argv: string[], io: { stdout: typeof process.stdout; stderr: typeof process.stderr }) => Promise<number>;

/** A writable that keeps what it is given, for a command's stdout or stderr. */
export function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(Buffer.from(chunk));
        cb();
      },
    }),
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}

/** Runs the CLI's `main` in this process with captured output: the exit code and both streams as text. */
export async function runMain(main: Main, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const err = capture();
  const code = await main(args, {
    stdout: out.stream as unknown as typeof process.stdout,
    stderr: err.stream as unknown as typeof process.stderr,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}
