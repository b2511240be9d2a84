import { randomBytes } from 'node:crypto';
import type { CollectorTokenView } from '@ftpscope/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { CollectorToken, Store } from '../store/index.ts';
import { iso, isoOrNull } from '../views/iso.ts';
import { type Grant, sha256 } from './collector-auth.ts';
import type { CollectorSession } from './collector-session.ts';

/** Prefix of tokens the hub issues, so one found in a file or log is recognisable. */
const TOKEN_PREFIX = 'fsc_';

/**
 * Collector tokens the hub issues, one per host: created (the token is returned once, only its hash kept),
 * checked when a collector connects, listed with their last use, and revoked, which closes the collectors
 * connected with them (4401) at once.
 */
export class CollectorTokens {
  readonly #store: Store;
  readonly #sessions: ReadonlySet<CollectorSession>;
  readonly #now: () => number;
  readonly #log: FastifyBaseLogger;

  constructor(o: {
    store: Store;
    sessions: ReadonlySet<CollectorSession>;
    now: () => number;
    log: FastifyBaseLogger;
  }) {
    this.#store = o.store;
    this.#sessions = o.sessions;
    this.#now = o.now;
    this.#log = o.log;
  }

  /** True when the token looks like one this hub issues (only those are looked up in the store). */
  static issued(token: string | undefined): token is string {
    return token?.startsWith(TOKEN_PREFIX) ?? false;
  }

  /** The grant of an issued, unrevoked token (its one host), recording the use; null otherwise. */
  async authenticate(token: string | undefined): Promise<Grant> {
    if (!CollectorTokens.issued(token)) return null;
    const found = await this.#store.collectorTokens.findActive(sha256(token));
    if (!found) return null;
    await this.#store.collectorTokens.touch(found.id, this.#now());
    return { hosts: new Set([found.host]), tokenId: found.id };
  }

  /** A collector that used this token disconnected: its last use is now. */
  released(tokenId: string): void {
    this.#store.collectorTokens.touch(tokenId, this.#now()).catch((err: unknown) => {
      // The store may already be closed during shutdown.
      this.#log.debug({ err }, 'could not record the last use of a collector token');
    });
  }

  /** Issues a token for one host; the returned `token` is not kept anywhere. */
  async create(host: string): Promise<{ view: CollectorTokenView; token: string }> {
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const created = await this.#store.collectorTokens.create({
      id: `ct_${randomBytes(6).toString('hex')}`,
      host,
      hash: sha256(token),
      createdAt: this.#now(),
    });
    this.#log.info({ tokenId: created.id, host }, 'collector token issued');
    return { view: this.#view(created), token };
  }

  /** Every issued token, newest first, with whether a collector uses it now. */
  async list(): Promise<CollectorTokenView[]> {
    return (await this.#store.collectorTokens.list()).map((t) => this.#view(t));
  }

  /** Revokes a token and disconnects its collectors with 4401; null for an unknown id. */
  async revoke(id: string): Promise<CollectorTokenView | null> {
    const revoked = await this.#store.collectorTokens.revoke(id, this.#now());
    if (!revoked) return null;
    let closed = 0;
    for (const session of this.#sessions) {
      if (session.tokenId !== id) continue;
      session.fail('FTPSCOPE_ERR_UNAUTHORIZED', 'collector token revoked');
      closed += 1;
    }
    this.#log.info({ tokenId: id, host: revoked.host, disconnected: closed }, 'collector token revoked');
    return this.#view(revoked);
  }

  #view(t: CollectorToken): CollectorTokenView {
    const connected = [...this.#sessions].some((s) => s.tokenId === t.id && s.host !== undefined);
    return {
      id: t.id,
      host: t.host,
      createdAt: iso(t.createdAt),
      lastUsedAt: isoOrNull(t.lastUsedAt),
      revokedAt: isoOrNull(t.revokedAt),
      connected: connected && t.revokedAt === null,
    };
  }
}
