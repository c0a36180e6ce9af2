// Preloaded with `node --import` into a measured process: at exit it writes its peak resident set (KiB, getrusage
// ru_maxrss) to $PEERGROUP_BENCH_MAXRSS_FILE. A parent cannot read a child's peak from /proc once it has exited.
import { writeFileSync } from 'node:fs';

process.on('exit', () => writeFileSync(process.env.PEERGROUP_BENCH_MAXRSS_FILE, String(process.resourceUsage().maxRSS)));
