import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Root of the recorded tool output (see test/fixtures/record.sh). */
export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** Reads a recorded fixture, e.g. fixture('conntrack/1.4.7/list-id.txt'). */
export function fixture(path: string): string {
  return readFileSync(join(FIXTURES, path), 'utf8');
}

/** Every fixture file under a tool folder, as paths relative to FIXTURES. */
export function fixturesOf(tool: string): string[] {
  const out: string[] = [];
  for (const version of readdirSync(join(FIXTURES, tool))) {
    for (const f of readdirSync(join(FIXTURES, tool, version))) out.push(`${tool}/${version}/${f}`);
  }
  return out;
}
