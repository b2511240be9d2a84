import { createHash } from 'node:crypto';
import { buildInfo, versionLine } from '@ftpscope/shared/build-info';
import { type Static, Type as T } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Command, CommanderError, Option } from 'commander';

/** The hub's validated configuration. */
export const HubConfig = T.Object({
  host: T.String({ minLength: 1 }),
  port: T.Integer({ minimum: 0, maximum: 65535 }),
  db: T.String({ minLength: 1 }),
  collectorToken: T.Optional(T.String({ minLength: 8 })),
  tokensFile: T.Optional(T.String({ minLength: 1 })),
  apiToken: T.String({ minLength: 8 }),
  tlsCert: T.Optional(T.String({ minLength: 1 })),
  tlsKey: T.Optional(T.String({ minLength: 1 })),
  retentionDays: T.Number({ exclusiveMinimum: 0 }),
  rawRetentionDays: T.Number({ exclusiveMinimum: 0 }),
  rollupRetentionDays: T.Number({ exclusiveMinimum: 0 }),
  alertWebhook: T.Optional(T.String({ pattern: '^https?://' })),
  uiDir: T.Optional(T.String({ minLength: 1 })),
  collectorRate: T.Number({ exclusiveMinimum: 0 }),
  logLevel: T.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => T.Literal(l))),
});
export type HubConfig = Static<typeof HubConfig>;

/** Raised for bad flags or environment; the message names the flag. */
export class ConfigError extends Error {}

/** What the command line asks for. */
export type ParsedCommand = { kind: 'serve'; config: HubConfig } | { kind: 'hash-token'; token: string };

interface Flag {
  flag: string;
  env: string;
  key: string;
  help: string;
  default?: string;
}

/** Every flag with its environment variable: flags win over the environment. */
export const FLAGS: Flag[] = [
  {
    flag: '--listen <host:port>',
    env: 'FTPSCOPE_LISTEN',
    key: 'listen',
    help: 'address to listen on (use [::1]:PORT for IPv6)',
    default: '127.0.0.1:8080',
  },
  {
    flag: '--db <file>',
    env: 'FTPSCOPE_DB',
    key: 'db',
    help: 'SQLite database file (created if missing)',
    default: 'data/ftpscope.db',
  },
  {
    flag: '--collector-token <token>',
    env: 'FTPSCOPE_COLLECTOR_TOKEN',
    key: 'collectorToken',
    help: 'one token every collector uses (any host name); prefer the env var, argv is visible in ps',
  },
  {
    flag: '--tokens <file>',
    env: 'FTPSCOPE_TOKENS',
    key: 'tokensFile',
    help: 'collector tokens file: lines "<sha256-hex> host1 host2 ..." ("*" = any host); see `hub hash-token`',
  },
  {
    flag: '--api-token <token>',
    env: 'FTPSCOPE_API_TOKEN',
    key: 'apiToken',
    help: 'token for the REST API, /ws/live, /metrics and /docs (Bearer header or login cookie)',
  },
  {
    flag: '--tls-cert <file>',
    env: 'FTPSCOPE_TLS_CERT',
    key: 'tlsCert',
    help: 'PEM certificate: serve HTTPS/WSS (needs --tls-key)',
  },
  {
    flag: '--tls-key <file>',
    env: 'FTPSCOPE_TLS_KEY',
    key: 'tlsKey',
    help: 'PEM private key for --tls-cert',
  },
  {
    flag: '--retention-days <n>',
    env: 'FTPSCOPE_RETENTION_DAYS',
    key: 'retentionDays',
    help: 'keep sessions, drops, changes, gaps, diagnoses this long',
    default: '90',
  },
  {
    flag: '--raw-retention-days <n>',
    env: 'FTPSCOPE_RAW_RETENTION_DAYS',
    key: 'rawRetentionDays',
    help: 'keep raw rule samples and health samples this long',
    default: '7',
  },
  {
    flag: '--rollup-retention-days <n>',
    env: 'FTPSCOPE_ROLLUP_RETENTION_DAYS',
    key: 'rollupRetentionDays',
    help: 'keep 1-minute rule rollups this long',
    default: '90',
  },
  {
    flag: '--alert-webhook <url>',
    env: 'FTPSCOPE_ALERT_WEBHOOK',
    key: 'alertWebhook',
    help: 'POST a JSON body here when a diagnosis opens or resolves',
  },
  {
    flag: '--ui-dir <dir>',
    env: 'FTPSCOPE_UI_DIR',
    key: 'uiDir',
    help: 'built UI to serve (default apps/web/dist)',
  },
  {
    flag: '--collector-rate <n>',
    env: 'FTPSCOPE_COLLECTOR_RATE',
    key: 'collectorRate',
    help: 'sustained messages/s a collector may send (burst 100x, room for a spool replay) before 4429',
    default: '1000',
  },
  {
    flag: '--log-level <level>',
    env: 'FTPSCOPE_LOG_LEVEL',
    key: 'logLevel',
    help: 'fatal|error|warn|info|debug|trace|silent',
    default: 'info',
  },
];

const NUMERIC = new Set(['retentionDays', 'rawRetentionDays', 'rollupRetentionDays', 'collectorRate']);

/** Builds the commander program (exported so --help can be tested). */
export function buildProgram(): Command {
  const program = new Command('hub')
    .description(
      'ftpscope hub: ingests collectors over WebSocket, stores history in SQLite, serves the API and UI',
    )
    .allowExcessArguments(false)
    .version(versionLine(buildInfo(new URL('../../package.json', import.meta.url))), '-V, --version')
    .action(() => {});
  for (const f of FLAGS) {
    const o = new Option(f.flag, `${f.help} [env ${f.env}]${f.default ? ` (default ${f.default})` : ''}`);
    program.addOption(o);
  }
  program
    .command('hash-token')
    .argument('<token>', 'collector token to hash')
    .description('print the tokens-file line for a collector token (append the host names it may report)');
  return program;
}

/**
 * Parses argv (without node and script) and the environment into a validated configuration.
 * Throws ConfigError naming the flag; lets commander print --help and exit.
 */
export function parseCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  opts: { exitOverride?: boolean } = {},
): ParsedCommand {
  const program = buildProgram();
  if (opts.exitOverride) program.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  let hashed: string | undefined;
  program.commands[0]?.action((token: string) => {
    hashed = token;
  });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new ConfigError(err.message.replace(/^error: /, ''));
    throw err;
  }
  if (hashed !== undefined) return { kind: 'hash-token', token: hashed };

  const given = program.opts<Record<string, string | undefined>>();
  const raw: Record<string, unknown> = {};
  for (const f of FLAGS) {
    const value = given[new Option(f.flag).attributeName()] ?? nonEmpty(env[f.env]) ?? f.default;
    if (value === undefined) continue;
    raw[f.key] = NUMERIC.has(f.key) ? Number(value) : value;
  }
  const listen = String(raw.listen);
  delete raw.listen;
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  if (!m)
    throw new ConfigError(`--listen must be HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), got "${listen}"`);
  raw.host = m[1] ?? m[2];
  raw.port = Number(m[3]);

  if (raw.apiToken === undefined) throw new ConfigError('--api-token (or FTPSCOPE_API_TOKEN) is required');
  if (raw.collectorToken === undefined && raw.tokensFile === undefined) {
    throw new ConfigError(
      'give --collector-token (or FTPSCOPE_COLLECTOR_TOKEN) or --tokens FILE (or FTPSCOPE_TOKENS)',
    );
  }
  if (raw.collectorToken !== undefined && raw.tokensFile !== undefined) {
    throw new ConfigError('give either --collector-token or --tokens, not both');
  }
  if ((raw.tlsCert === undefined) !== (raw.tlsKey === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key go together');
  }
  const first = Value.Errors(HubConfig, raw).First();
  if (first) {
    const key = first.path.split('/')[1] ?? '';
    const flag = key === 'host' || key === 'port' ? FLAGS[0] : FLAGS.find((f) => f.key === key);
    throw new ConfigError(`${flag ? flag.flag.split(' ')[0] : key}: ${first.message}`);
  }
  return { kind: 'serve', config: raw as HubConfig };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

/** SHA-256 hex of a token: what the tokens file stores, so a leaked file leaks no token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
