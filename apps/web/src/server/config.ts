import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { buildInfo, versionLine } from '@ftpscope/shared/build-info';
import { type Static, Type as T } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Command, CommanderError, Option } from 'commander';
import { addTokensCommand, type OnTokensCommand, type TokensCommand } from './cli/tokens-command.ts';
import { FLAGS } from './config-flags.ts';
import { invalidCidr } from './diagnoses/private-nets.ts';
import { isLoopback, parseHostPort } from './listen-address.ts';
import { parseStoreSpec } from './store/store-spec.ts';

/** The hub's validated configuration. */
export const HubConfig = T.Object({
  host: T.String({ minLength: 1 }),
  port: T.Integer({ minimum: 0, maximum: 65535 }),
  /** `sqlite:PATH` or `postgres://…`. */
  store: T.String({ minLength: 1 }),
  /** This hub's name among several on one database. */
  hubId: T.String({ pattern: '^[A-Za-z0-9._:-]{1,64}$' }),
  collectorToken: T.Optional(T.String({ minLength: 8 })),
  tokensFile: T.Optional(T.String({ minLength: 1 })),
  apiToken: T.String({ minLength: 8 }),
  tlsCert: T.Optional(T.String({ minLength: 1 })),
  tlsKey: T.Optional(T.String({ minLength: 1 })),
  /** auto: TLS unless listening on loopback only; on: always. */
  tls: T.Union([T.Literal('auto'), T.Literal('on')]),
  tlsDir: T.String({ minLength: 1 }),
  /** Extra plain-HTTP listener (loopback only). */
  plainHost: T.Optional(T.String({ minLength: 1 })),
  plainPort: T.Optional(T.Integer({ minimum: 0, maximum: 65535 })),
  publicUrl: T.Optional(T.String({ pattern: '^https?://[^/?#]+/?$' })),
  downloadsDir: T.Optional(T.String({ minLength: 1 })),
  retentionDays: T.Number({ exclusiveMinimum: 0 }),
  rawRetentionDays: T.Number({ exclusiveMinimum: 0 }),
  rollupRetentionDays: T.Number({ exclusiveMinimum: 0 }),
  alertWebhook: T.Optional(T.String({ pattern: '^https?://' })),
  uiDir: T.Optional(T.String({ minLength: 1 })),
  collectorRate: T.Number({ exclusiveMinimum: 0 }),
  /** `--private-nets`: comma-separated CIDRs (checked by invalidCidr). */
  privateNets: T.String(),
  logLevel: T.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => T.Literal(l))),
});
export type HubConfig = Static<typeof HubConfig>;

/** Raised for bad flags or environment; the message names the flag. */
export class ConfigError extends Error {}

/** What the command line asks for. */
export type ParsedCommand =
  | { kind: 'serve'; config: HubConfig }
  | { kind: 'hash-token'; token: string }
  | { kind: 'tokens'; command: TokensCommand; url: string; apiToken: string };

const NUMERIC = new Set(['retentionDays', 'rawRetentionDays', 'rollupRetentionDays', 'collectorRate']);

/** Builds the commander program (exported so --help can be tested); `onTokens` receives `hub tokens …`. */
export function buildProgram(onTokens?: OnTokensCommand): Command {
  const program = new Command('hub')
    .description(
      'ftpscope hub: ingests collectors over WebSocket, stores history in SQLite or PostgreSQL, serves the API and UI',
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
  addTokensCommand(program, onTokens);
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
  let tokens: { command: TokensCommand; url: string | undefined } | undefined;
  const program = buildProgram((command, url) => {
    tokens = { command, url };
  });
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
  const listen = hostPort('--listen', String(raw.listen));
  delete raw.listen;
  raw.host = listen.host;
  raw.port = listen.port;
  if (raw.plainListen !== undefined) {
    const plain = hostPort('--plain-listen', String(raw.plainListen));
    if (!isLoopback(plain.host)) {
      throw new ConfigError(
        `--plain-listen ${String(raw.plainListen)}: plain HTTP is only served on loopback (127.0.0.1, ::1); use --listen for the network, which gets TLS`,
      );
    }
    raw.plainHost = plain.host;
    raw.plainPort = plain.port;
    delete raw.plainListen;
  }
  raw.hubId ??= `${hostname()}:${raw.port}`;
  if (raw.db !== undefined) {
    if (given.store !== undefined || nonEmpty(env.FTPSCOPE_STORE) !== undefined)
      throw new ConfigError('give either --store or --db (a shorthand for --store sqlite:FILE), not both');
    raw.store = `sqlite:${String(raw.db)}`;
  }
  delete raw.db;
  let spec: ReturnType<typeof parseStoreSpec>;
  try {
    spec = parseStoreSpec(String(raw.store));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  // Beside the SQLite file; with PostgreSQL the hub keeps no data of its own but this.
  raw.tlsDir ??= join(spec.engine === 'sqlite' ? dirname(spec.file) : 'data', 'tls');

  if (raw.apiToken === undefined) throw new ConfigError('--api-token (or FTPSCOPE_API_TOKEN) is required');
  if (tokens)
    return {
      kind: 'tokens',
      command: tokens.command,
      url: tokens.url ?? adminUrl(raw),
      apiToken: String(raw.apiToken),
    };
  if (raw.collectorToken !== undefined && raw.tokensFile !== undefined) {
    throw new ConfigError('give either --collector-token or --tokens, not both');
  }
  if ((raw.tlsCert === undefined) !== (raw.tlsKey === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key go together');
  }
  const badNet = invalidCidr(
    String(raw.privateNets ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
  );
  if (badNet) throw new ConfigError(`--private-nets: ${badNet}`);
  const first = Value.Errors(HubConfig, raw).First();
  if (first) {
    const key = first.path.split('/')[1] ?? '';
    const byKey: Record<string, string> = {
      host: 'listen',
      port: 'listen',
      plainHost: 'plainListen',
      plainPort: 'plainListen',
    };
    const flag = FLAGS.find((f) => f.key === (byKey[key] ?? key));
    throw new ConfigError(`${flag ? flag.flag.split(' ')[0] : key}: ${first.message}`);
  }
  return { kind: 'serve', config: raw as HubConfig };
}

function hostPort(flag: string, text: string): { host: string; port: number } {
  const hp = parseHostPort(text);
  if (!hp)
    throw new ConfigError(`${flag} must be HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), got "${text}"`);
  return hp;
}

/** Where `hub tokens` reaches the running hub: its plain loopback listener, or --listen when that is loopback. */
function adminUrl(raw: Record<string, unknown>): string {
  const fmt = (host: string, port: unknown) =>
    `http://${host.includes(':') ? `[${host}]` : host}:${String(port)}`;
  if (raw.plainHost !== undefined) return fmt(String(raw.plainHost), raw.plainPort);
  if (isLoopback(String(raw.host)) && raw.tls !== 'on') return fmt(String(raw.host), raw.port);
  throw new ConfigError(
    'hub tokens: the hub serves only TLS on the network; give --url https://HOST:PORT, or set --plain-listen 127.0.0.1:8080 on the hub',
  );
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

/** SHA-256 hex of a token: what the tokens file stores, so a leaked file leaks no token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
