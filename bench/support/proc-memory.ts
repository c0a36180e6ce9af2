/** Resident memory of live processes from /proc (Linux): RSS and PSS (shared pages split between their users). */
import { readdirSync, readFileSync } from 'node:fs';

export interface Memory {
  rssKiB: number;
  pssKiB: number;
}

function field(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in /proc`);
  return Number(m[1]);
}

export function processMemory(pid: number): Memory {
  return {
    rssKiB: field(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmRSS'),
    pssKiB: field(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss'),
  };
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

export function treeMemory(pid: number): Memory & { processes: number } {
  const pids = processTree(pid);
  const sum = { rssKiB: 0, pssKiB: 0, processes: pids.length };
  for (const p of pids) {
    const m = processMemory(p);
    sum.rssKiB += m.rssKiB;
    sum.pssKiB += m.pssKiB;
  }
  return sum;
}
