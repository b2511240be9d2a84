import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One numbered SQL migration file. */
export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
}

/** The numbered migrations of a folder, in order; two files with one number (a bad merge) fail loudly. */
export function loadMigrationFiles(dir: string): MigrationFile[] {
  const list = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((name) => ({
      version: Number(name.slice(0, 4)),
      name,
      sql: readFileSync(join(dir, name), 'utf8'),
    }));
  list.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migrations must be numbered 0001, 0002, … without gaps: ${m.name}`);
  });
  return list;
}
