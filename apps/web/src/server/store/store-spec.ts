import { StoreOpenError } from './errors.ts';

/** Which engine and where: `sqlite:PATH` or a `postgres://` URL (the value of --store). */
export type StoreSpec = { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string };

/** Default of --store: SQLite under ./data, as before there was a choice. */
export const DEFAULT_STORE = 'sqlite:data/ftpscope.db';

/** Parses --store; throws StoreOpenError naming the flag for anything else. */
export function parseStoreSpec(text: string): StoreSpec {
  if (text.startsWith('sqlite:')) {
    const file = text.slice('sqlite:'.length);
    if (file === '') throw new StoreOpenError('--store sqlite: needs a file, e.g. sqlite:data/ftpscope.db');
    return { engine: 'sqlite', file };
  }
  if (/^postgres(ql)?:\/\//.test(text)) {
    try {
      new URL(text);
    } catch {
      throw new StoreOpenError(`--store: not a valid URL: ${maskPassword(text)}`);
    }
    return { engine: 'postgres', url: text };
  }
  throw new StoreOpenError(
    `--store must be sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, got "${maskPassword(text)}"`,
  );
}

/** The URL with its password replaced by ***, for messages and logs. */
export function maskPassword(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/?#@]*):[^@/?#]*@/, '$1:***@');
}

/** The spec as a log line (password masked). */
export function describeSpec(spec: StoreSpec): string {
  return spec.engine === 'sqlite' ? `sqlite:${spec.file}` : maskPassword(spec.url);
}
