import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Root of the recorded tool output (see test/fixtures/record.sh). */
export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** Reads a recorded fixture, e.g. fixture('conntrack/1.4.7/list-id.txt'). */
export function fixture(path: string): string {
  return readFileSync(join(FIXTURES, path), 'utf8');
}

/** Every fixture file under a tool folder (sub-folders too: config trees), as paths relative to FIXTURES. */
export function fixturesOf(tool: string): string[] {
  return readdirSync(join(FIXTURES, tool), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(FIXTURES, join(e.parentPath, e.name)));
}

/** Reads fixture files as if they were at other paths: `map` turns a real path prefix into a fixture folder. */
export function fixtureIo(map: Record<string, string>) {
  const real = (path: string) => {
    for (const [from, to] of Object.entries(map))
      if (path.startsWith(from)) return join(FIXTURES, to, path.slice(from.length));
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
  };
  return {
    readFile: async (path: string) => readFileSync(real(path), 'utf8'),
    readdir: async (path: string) => readdirSync(real(path)),
  };
}
