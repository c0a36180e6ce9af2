/** The Markdown table the benches print: columns padded to their widest cell. */
export function printTable(title: string, head: string[], body: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  process.stdout.write(`\n${title}\n`);
  for (const r of [head, head.map((_, i) => '-'.repeat(w[i]!)), ...body])
    process.stdout.write(`| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |\n`);
}
