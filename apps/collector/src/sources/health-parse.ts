import { int, lines, ParseAccumulator, type ParseResult } from './parse-result.ts';

/** Sums `conntrack -S` per-CPU lines into totals (drop, early_drop, insert_failed, invalid, ...). */
export function parseConntrackStats(
  text: string,
): ParseResult<Record<string, number>> & { totals: Record<string, number> } {
  const acc = new ParseAccumulator<Record<string, number>>();
  const totals: Record<string, number> = {};
  for (const line of lines(text)) {
    const fields = line.trim().split(/\s+/);
    if (!fields[0]?.startsWith('cpu=')) {
      acc.reject(line);
      continue;
    }
    const rec: Record<string, number> = {};
    let ok = true;
    for (const f of fields.slice(1)) {
      const [k, v] = f.split('=');
      const n = int(v);
      if (!k || n === null) ok = false;
      else rec[k] = n;
    }
    if (!ok) {
      acc.reject(line);
      continue;
    }
    for (const [k, n] of Object.entries(rec)) totals[k] = (totals[k] ?? 0) + n;
    acc.add(rec);
  }
  return { ...acc.result(), totals };
}

/** Parses `grep -H . FILE...` output of /proc/sys files into name → value (by file base name). */
export function parseSysctls(text: string): ParseResult<[string, string]> & { values: Map<string, string> } {
  const acc = new ParseAccumulator<[string, string]>();
  const values = new Map<string, string>();
  for (const line of lines(text)) {
    const m = /^\/proc\/sys\/(?:[\w-]+\/)*([\w-]+):(.*)$/.exec(line);
    if (!m) {
      acc.reject(line);
      continue;
    }
    const rec: [string, string] = [m[1] as string, (m[2] as string).trim()];
    values.set(rec[0], rec[1]);
    acc.add(rec);
  }
  return { ...acc.result(), values };
}
