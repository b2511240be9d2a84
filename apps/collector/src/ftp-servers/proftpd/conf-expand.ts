import { dirname, isAbsolute, join } from 'node:path';
import type { ConfigIo } from '../types.ts';

/** One logical line of a ProFTPD configuration (continuations joined), with where it came from. */
export interface ConfLine {
  file: string;
  line: number;
  text: string;
}

/** Includes nest at most this deep (a loop of includes is a config error, not a reason to hang). */
const MAX_DEPTH = 8;

/** Splits a file into logical lines: `\` at the end continues a line; blank lines and `#` comments go. */
export function logicalLines(text: string, file: string): ConfLine[] {
  const out: ConfLine[] = [];
  let pending = '';
  let start = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    if (pending === '') start = i + 1;
    if (/\\\s*$/.test(raw)) {
      pending += `${raw.replace(/\\\s*$/, '')} `;
      return;
    }
    const full = (pending + raw).trim();
    pending = '';
    if (full === '' || full.startsWith('#')) return;
    out.push({ file, line: start, text: full });
  });
  if (pending.trim() !== '') out.push({ file, line: start, text: pending.trim() });
  return out;
}

/** Whether a file name matches a shell-style pattern with `*` and `?` (what ProFTPD's Include globs use). */
function globMatch(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(name);
}

/** The files an Include names: a file, a directory (every file in it) or a glob in its last part, sorted. */
async function includeTargets(arg: string, base: string, io: ConfigIo): Promise<string[]> {
  const path = isAbsolute(arg) ? arg : join(base, arg);
  const last = path.split('/').pop() ?? '';
  if (/[*?]/.test(last)) {
    const dir = dirname(path);
    return (await io.readdir(dir))
      .filter((n) => globMatch(last, n))
      .sort()
      .map((n) => join(dir, n));
  }
  try {
    return (await io.readdir(path))
      .filter((n) => !n.startsWith('.') && !n.endsWith('~'))
      .sort()
      .map((n) => join(path, n));
  } catch {
    return [path];
  }
}

/**
 * Reads a ProFTPD config with every `Include` inlined in place (files, directories, globs; relative paths
 * against the including file's folder). An include that cannot be read is a problem, not a failure: the
 * rest still counts. Only the main file failing throws.
 */
export async function expandProftpdConf(
  path: string,
  io: ConfigIo,
): Promise<{ lines: ConfLine[]; problems: string[] }> {
  const problems: string[] = [];
  const walk = async (file: string, depth: number): Promise<ConfLine[]> => {
    const text = await io.readFile(file);
    const out: ConfLine[] = [];
    for (const l of logicalLines(text, file)) {
      const m = /^Include\s+("?)(.+)\1$/i.exec(l.text);
      if (!m) {
        out.push(l);
        continue;
      }
      const arg = (m[2] as string).trim();
      if (depth >= MAX_DEPTH) {
        problems.push(
          `proftpd config: ${file}:${l.line}: Include ${arg} nested deeper than ${MAX_DEPTH}, skipped`,
        );
        continue;
      }
      let targets: string[];
      try {
        targets = await includeTargets(arg, dirname(file), io);
      } catch (e) {
        problems.push(
          `proftpd config: ${file}:${l.line}: cannot list Include ${arg}: ${(e as Error).message}`,
        );
        continue;
      }
      for (const t of targets) {
        try {
          out.push(...(await walk(t, depth + 1)));
        } catch (e) {
          problems.push(
            `proftpd config: ${file}:${l.line}: cannot read included ${t}: ${(e as Error).message} (give the collector read access to it)`,
          );
        }
      }
    }
    return out;
  };
  return { lines: await walk(path, 0), problems };
}
