/** Small measuring helpers the benches share: medians, another process's RSS, MB formatting. */
import { readFileSync } from 'node:fs';

/** The `p`th percentile of `xs` (nearest rank; 0 for none). */
export const percentile = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Resident set size of a process in bytes, from /proc (0 if the line is missing). */
export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/**
 * Runs `work` while sampling the RSS of process `pid` every 50 ms; `idle` is taken after a 500 ms settle first.
 * Sampling (rather than one reading at the end) is what catches a transient peak of buffered message data.
 */
export async function peakRssDuring<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ idle: number; peak: number; seconds: number; result: T }> {
  await new Promise((res) => setTimeout(res, 500));
  const idle = rssOf(pid);
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);
  const t0 = Date.now();
  let result: T;
  try {
    result = await work();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, rssOf(pid));
  return { idle, peak, seconds: (Date.now() - t0) / 1000, result };
}

export const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
