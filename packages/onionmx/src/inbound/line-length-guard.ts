/** Scans message bytes for over-long lines, across chunk boundaries. */
export class LineLengthGuard {
  private current = 0;
  constructor(private readonly max: number) {}
  /** True when a line (CRLF included) exceeded the limit. */
  exceeded(chunk: Buffer): boolean {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl < 0) {
        this.current += chunk.length - from;
        return this.current > this.max;
      }
      if (this.current + (nl - from) + 1 > this.max) return true;
      this.current = 0;
      from = nl + 1;
    }
  }
}
