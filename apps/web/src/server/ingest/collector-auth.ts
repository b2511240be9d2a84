import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Who may report: hashes of collector tokens and the host names each may report ("*" = any). */
export interface TokenEntry {
  hash: Buffer;
  hosts: Set<string> | '*';
}

/**
 * Result of checking a collector token: the hosts it may report (and, for a token the hub issued, its id, so
 * revoking it can close its connection), or null for a wrong/missing token.
 */
export type Grant = { hosts: Set<string> | '*'; tokenId?: string } | null;

/** SHA-256 of a token, as tokens files and the hub's own token table store it. */
export function sha256(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Parses a tokens file: `<sha256-hex> host1 host2 ...` or `<sha256-hex> *`, `#` comments. Errors name the line. */
export function parseTokensFile(text: string, file = 'tokens file'): TokenEntry[] {
  const entries: TokenEntry[] = [];
  text.split('\n').forEach((line, i) => {
    const content = line.replace(/#.*/, '').trim();
    if (content === '') return;
    const [hash, ...hosts] = content.split(/\s+/);
    if (!hash || !/^[0-9a-f]{64}$/i.test(hash)) {
      throw new Error(
        `${file}:${i + 1}: expected a SHA-256 hex hash (64 hex digits) first; run \`pnpm hub hash-token TOKEN\``,
      );
    }
    if (hosts.length === 0)
      throw new Error(`${file}:${i + 1}: list the host names this token may report, or *`);
    entries.push({ hash: Buffer.from(hash, 'hex'), hosts: hosts.includes('*') ? '*' : new Set(hosts) });
  });
  if (entries.length === 0) throw new Error(`${file}: no tokens in it`);
  return entries;
}

/** Checks collector tokens in constant time; tokens themselves are never stored or logged. */
export class CollectorAuth {
  readonly #entries: TokenEntry[];

  constructor(entries: TokenEntry[]) {
    this.#entries = entries;
  }

  /** One shared token for every host. */
  static single(token: string): CollectorAuth {
    return new CollectorAuth([{ hash: sha256(token), hosts: '*' }]);
  }

  /** No fixed tokens: only the ones the hub issues (Add FTP host). */
  static none(): CollectorAuth {
    return new CollectorAuth([]);
  }

  /** A tokens file (see parseTokensFile). */
  static fromFile(file: string): CollectorAuth {
    return new CollectorAuth(parseTokensFile(readFileSync(file, 'utf8'), file));
  }

  /** Compares against every entry (no early exit) so timing reveals nothing about which one matched. */
  check(token: string | undefined): Grant {
    const presented = sha256(token ?? '');
    let grant: Grant = null;
    for (const e of this.#entries) {
      if (timingSafeEqual(presented, e.hash) && token) grant ??= { hosts: e.hosts };
    }
    return grant;
  }
}

/** True when the grant covers this host name. */
export function allows(grant: NonNullable<Grant>, host: string): boolean {
  return grant.hosts === '*' || grant.hosts.has(host);
}

/** The token from `Authorization: Bearer TOKEN`, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}
