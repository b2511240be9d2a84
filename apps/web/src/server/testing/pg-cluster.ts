import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
/** initdb refuses root: the cluster runs as nobody (uid/gid 65534 on Debian) when the tests run as root. */
const NOBODY = 65534;

/** The newest PostgreSQL server binaries Debian installed (postgresql-NN), or a clear error. */
export function pgBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] === undefined) {
    throw new Error(
      'PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run scripts/setup.sh (apt-get install postgresql)',
    );
  }
  return join(base, versions[0], 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/**
 * A throwaway PostgreSQL cluster for tests: initdb in a temporary directory as an unprivileged user, its own
 * port on 127.0.0.1 and its own socket directory; stop() (or process exit) stops it and removes everything.
 * Nothing depends on a system-wide server.
 */
export class PgCluster {
  readonly dir: string;
  readonly port: number;
  readonly #bin: string;
  readonly #asUser: { uid: number; gid: number } | Record<string, never>;
  #dbSeq = 0;
  #onExit = () => this.#stopSync();
  stopped = false;

  private constructor(dir: string, port: number, bin: string) {
    this.dir = dir;
    this.port = port;
    this.#bin = bin;
    this.#asUser = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
  }

  /** Creates and starts a cluster (about a second with --no-sync). */
  static async start(opts: { settings?: Record<string, string> } = {}): Promise<PgCluster> {
    const bin = pgBinDir();
    const dir = mkdtempSync(join(tmpdir(), 'ftpscope-pg-'));
    const cluster = new PgCluster(dir, await freePort(), bin);
    if (process.getuid?.() === 0) chownSync(dir, NOBODY, NOBODY);
    process.once('exit', cluster.#onExit);
    try {
      await cluster.#as('initdb', [
        '-D',
        cluster.dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
        '--no-sync',
        '--locale=C',
      ]);
      await cluster.startServer(opts.settings);
      return cluster;
    } catch (err) {
      cluster.#stopSync();
      throw err;
    }
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** URL of a database of this cluster as the superuser `postgres` (or another role). */
  url(database = 'postgres', user = 'postgres', password?: string): string {
    const auth = password === undefined ? user : `${user}:${encodeURIComponent(password)}`;
    return `postgres://${auth}@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server (again, after stopServer); resolves once it accepts connections. */
  async startServer(settings: Record<string, string> = {}): Promise<void> {
    const all: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      port: String(this.port),
      unix_socket_directories: this.dir,
      // The machine does not crash under a test: skip the fsyncs, keep commits synchronous (a stopped or
      // killed server must still have every acknowledged batch).
      fsync: 'off',
      full_page_writes: 'off',
      max_connections: '100',
      ...settings,
    };
    const o = Object.entries(all)
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    await this.#as('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.dir, 'server.log'),
      '-o',
      o,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }

  /** Stops the server: `fast` (clean shutdown) or `immediate` (like a crash; recovery at the next start). */
  async stopServer(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.#as('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  /** The server log so far (for test failures). */
  log(): string {
    try {
      return readFileSync(join(this.dir, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Runs SQL as the superuser on a database. */
  async sql<T extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    params: unknown[] = [],
    database = 'postgres',
  ): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** A new database (empty, or a copy of `template`); returns its URL. */
  async createDatabase(prefix = 'test', template?: string): Promise<string> {
    const name = `${prefix}_${process.pid}_${++this.#dbSeq}`;
    await this.sql(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''} STRATEGY = FILE_COPY`);
    return this.url(name);
  }

  /** Stops the server and removes the directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.stopServer('immediate').catch(() => undefined);
    this.#stopSync();
  }

  #stopSync(): void {
    if (this.stopped) return;
    this.stopped = true;
    process.removeListener('exit', this.#onExit);
    if (existsSync(join(this.dataDir, 'postmaster.pid'))) {
      spawnSync(join(this.#bin, 'pg_ctl'), ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop'], {
        ...this.#asUser,
        stdio: 'ignore',
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #as(tool: string, args: string[]): Promise<void> {
    try {
      await run(join(this.#bin, tool), args, {
        ...this.#asUser,
        cwd: this.dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
      });
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(
        `${tool} ${args.join(' ')} failed: ${e.stderr || e.message}\n${this.log().slice(-2000)}`,
      );
    }
  }
}
