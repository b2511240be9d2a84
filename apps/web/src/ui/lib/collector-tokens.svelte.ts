import type { CollectorTokenCreated, CollectorTokenView, InstallInfo } from '@ftpscope/shared';
import type { ApiClient } from './api-client.ts';

/** Collector tokens the hub issued (one per FTP host) and how to install a collector from this hub. */
export class CollectorTokensStore {
  tokens = $state<CollectorTokenView[]>([]);
  install = $state<InstallInfo | null>(null);
  loaded = $state(false);
  error = $state<string | null>(null);

  #api: ApiClient;

  constructor(api: ApiClient) {
    this.#api = api;
  }

  /** Tokens and install info, again (after a change, or on demand). */
  async load(): Promise<void> {
    try {
      const [tokens, install] = await Promise.all([this.#api.collectorTokens(), this.#api.installInfo()]);
      this.tokens = tokens;
      this.install = install;
      this.error = null;
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.loaded = true;
    }
  }

  /** Issues a token for `host`; the result holds the token and command, shown once. */
  async create(host: string, hubUrl: string): Promise<CollectorTokenCreated> {
    const created = await this.#api.createCollectorToken(host, hubUrl);
    await this.load();
    return created;
  }

  /** Revokes a token: the hub disconnects its collector at once. */
  async revoke(id: string): Promise<void> {
    await this.#api.revokeCollectorToken(id);
    await this.load();
  }
}
