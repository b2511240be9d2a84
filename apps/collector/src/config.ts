import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { FtpServerKind, HostName, TlsPin } from '@ftpscope/shared';
import { type Static, Type as T } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Command, CommanderError, Option } from 'commander';
import { LOG_LEVELS } from './logger.ts';

/** Namespace names: what `ip netns` accepts, minus anything a shell or a path would interpret. */
export const NETNS_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';

/** Hub path collectors connect to, appended when --hub names only scheme, host and port. */
export const COLLECTOR_WS_PATH = '/ws/collector';

const MiB = 1024 * 1024;

/** One watched host: the collector's own network namespace (netns null) or a named one. */
export const HostSpec = T.Object({
  name: HostName,
  netns: T.Union([T.String({ pattern: NETNS_PATTERN }), T.Null()]),
  /** A process whose mount namespace holds this host's firewall manager (files, firewall-cmd's D-Bus); null: the collector's own. */
  managerPid: T.Optional(T.Union([T.Integer({ minimum: 1 }), T.Null()])),
});
export type HostSpec = Static<typeof HostSpec>;

/** The collector's validated configuration. */
export const Config = T.Object({
  hub: T.Union([T.String({ pattern: '^wss?://' }), T.Null()]),
  /** Pinned key of the hub's certificate (`sha256//…`); replaces the CA check. */
  hubFingerprint: T.Union([TlsPin, T.Null()]),
  token: T.Union([T.String({ minLength: 1, maxLength: 4096 }), T.Null()]),
  /** Where the token came from; a token on the command line is visible in `ps`. */
  tokenSource: T.Union([T.Literal('cli'), T.Literal('env'), T.Literal('file'), T.Null()]),
  hosts: T.Array(HostSpec, { minItems: 1, maxItems: 256 }),
  intervalMs: T.Integer({ minimum: 100, maximum: 3_600_000 }),
  ftpPorts: T.Array(T.Integer({ minimum: 1, maximum: 65535 }), { minItems: 1, maxItems: 64 }),
  nflogGroups: T.Array(T.Integer({ minimum: 0, maximum: 65535 }), { maxItems: 64 }),
  vsftpdConf: T.Union([T.String({ minLength: 1 }), T.Null()]),
  ftpServer: T.Union([T.Literal('auto'), FtpServerKind]),
  ftpConf: T.Union([T.String({ minLength: 1 }), T.Null()]),
  ftpLog: T.Union([T.String({ minLength: 1 }), T.Null()]),
  spoolDir: T.String({ minLength: 1 }),
  spoolMaxBytes: T.Integer({ minimum: MiB, maximum: 1024 * 1024 * MiB }),
  eventBufferBytes: T.Integer({ minimum: 65536, maximum: 1024 * MiB }),
  /** Load ftpscope's observation table (`table inet ftpscope`) to see drops without counters or log rules. */
  observe: T.Boolean(),
  /** The native conntrack reader: a path, "off" for the `conntrack` tool, null = look in the usual places. */
  ctreader: T.Union([T.String({ minLength: 1, maxLength: 4096 }), T.Null()]),
  once: T.Boolean(),
  json: T.Boolean(),
  logLevel: T.Union(LOG_LEVELS.map((l) => T.Literal(l))),
});
export type Config = Static<typeof Config>;

/** Bad flags or environment: main prints the message and exits 2; `--help`/`--version` exit 0. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** Flag name of each config field, so schema errors name what the user typed. */
const FLAG: Record<string, string> = {
  hub: '--hub',
  hubFingerprint: '--hub-fingerprint',
  token: '--token/--token-file',
  hosts: '--name/--netns',
  intervalMs: '--interval',
  ftpPorts: '--ftp-ports',
  nflogGroups: '--nflog-group',
  vsftpdConf: '--vsftpd-conf',
  ftpServer: '--ftp-server',
  ftpConf: '--ftp-conf',
  ftpLog: '--ftp-log',
  spoolDir: '--spool',
  spoolMaxBytes: '--spool-max-bytes',
  eventBufferBytes: '--event-buffer',
  observe: '--observe',
  ctreader: '--ctreader',
  logLevel: '--log-level',
};

/** Repeatable flag: each occurrence (or a comma-separated env value) adds items. */
const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
];

/** The commander program with every flag, its env var and default: `--help` is generated from this. */
export function buildCommand(version: string): Command {
  const opt = (flags: string, desc: string, env: string) => new Option(flags, desc).env(env);
  return new Command('ftpscope-collector')
    .description(
      'Reads FTP sessions, conntrack expectations, data connections and firewall rule counters from the kernel ' +
        'and streams them to an ftpscope hub.',
    )
    .version(version, '-V, --version')
    .addOption(
      opt(
        '--hub <url>',
        'hub address, e.g. wss://10.0.0.5:8443 (https:// works too); several, comma-separated, for hubs sharing one PostgreSQL database (fails over between them)',
        'FTPSCOPE_HUB',
      ),
    )
    .addOption(
      opt(
        '--hub-fingerprint <pin>',
        "pin of the hub's certificate key, sha256//BASE64 (shown by the hub's Add FTP host); replaces the CA check",
        'FTPSCOPE_HUB_FINGERPRINT',
      ),
    )
    .addOption(
      opt(
        '--token <token>',
        'collector token (prefer the env var or --token-file: argv is visible in ps)',
        'FTPSCOPE_TOKEN',
      ),
    )
    .addOption(opt('--token-file <path>', 'read the collector token from this file', 'FTPSCOPE_TOKEN_FILE'))
    .addOption(
      opt(
        '--name <name>',
        'host name reported to the hub (several --netns: prefix of each host name)',
        'FTPSCOPE_NAME',
      ),
    )
    .addOption(
      opt('--netns <ns>', 'watch this network namespace as its own host (repeatable)', 'FTPSCOPE_NETNS')
        .argParser(collect)
        .default([], "the collector's own namespace"),
    )
    .addOption(
      opt('--interval <ms>', 'rule counter poll interval in ms', 'FTPSCOPE_INTERVAL').default('1000'),
    )
    .addOption(
      opt('--ftp-ports <ports>', 'FTP control ports, comma-separated', 'FTPSCOPE_FTP_PORTS').default('21'),
    )
    .addOption(
      opt(
        '--nflog-group <n>',
        'NFLOG group to read dropped packets from (repeatable)',
        'FTPSCOPE_NFLOG_GROUP',
      )
        .argParser(collect)
        .default([], 'none'),
    )
    .addOption(
      opt(
        '--ftp-server <kind>',
        'FTP server to read: auto (the process listening on the first control port), vsftpd, proftpd, pure-ftpd',
        'FTPSCOPE_FTP_SERVER',
      )
        .choices(['auto', 'vsftpd', 'proftpd', 'pure-ftpd'])
        .default('auto'),
    )
    .addOption(
      opt(
        '--ftp-conf <path>',
        "the FTP server's config (proftpd.conf, vsftpd.conf, pure-ftpd.conf or Debian's /etc/pure-ftpd/conf; default: from its process or the usual paths)",
        'FTPSCOPE_FTP_CONF',
      ),
    )
    .addOption(
      opt(
        '--vsftpd-conf <path>',
        'vsftpd.conf to read (same as --ftp-server vsftpd --ftp-conf PATH)',
        'FTPSCOPE_VSFTPD_CONF',
      ),
    )
    .addOption(
      opt(
        '--ftp-log <path>',
        'FTP server log to follow: vsftpd.log/xferlog, a ProFTPD ExtendedLog/TransferLog, the syslog file with Pure-FTPd lines (default: from the config)',
        'FTPSCOPE_FTP_LOG',
      ),
    )
    .addOption(
      opt(
        '--spool <dir>',
        'directory for unacknowledged batches (one subdir per host)',
        'FTPSCOPE_SPOOL',
      ).default('./data/collector-spool'),
    )
    .addOption(
      opt(
        '--spool-max-bytes <n>',
        'spool size cap per host (suffix k, M, G allowed)',
        'FTPSCOPE_SPOOL_MAX_BYTES',
      ).default('100M'),
    )
    .addOption(
      opt(
        '--event-buffer <bytes>',
        'initial conntrack -E receive buffer (suffix k, M, G allowed)',
        'FTPSCOPE_EVENT_BUFFER',
      ).default('8M'),
    )
    .addOption(
      opt(
        '--observe <on|off>',
        "load ftpscope's observation table (table inet ftpscope: learns FTP clients, traces their data SYNs, never accepts or drops)",
        'FTPSCOPE_OBSERVE',
      )
        .choices(['on', 'off'])
        .default('on'),
    )
    .addOption(
      opt(
        '--manager-pid <pid>',
        "read the firewall manager's files and run its commands in the mount namespace of this process (a container's init); NS=PID per --netns (repeatable)",
        'FTPSCOPE_MANAGER_PID',
      )
        .argParser(collect)
        .default([], "the collector's own"),
    )
    .addOption(
      opt(
        '--ctreader <path>',
        'native conntrack reader (ftpscope-ctreader), or "off" to read with the conntrack tool',
        'FTPSCOPE_CTREADER',
      ).default(undefined, 'next to the collector or in native/build/'),
    )
    .addOption(
      opt('--once', 'take one snapshot, print it to stdout and exit (no hub needed)', 'FTPSCOPE_ONCE'),
    )
    .addOption(opt('--json', 'with --once: print JSON instead of a summary', 'FTPSCOPE_JSON'))
    .addOption(
      opt('--log-level <level>', 'log level (logs go to stderr)', 'FTPSCOPE_LOG_LEVEL')
        .choices(LOG_LEVELS)
        .default('info'),
    )
    .addHelpText(
      'after',
      '\nEvery flag can also be set with the environment variable shown. Examples:\n' +
        '  FTPSCOPE_TOKEN=secret pnpm collector --hub ws://127.0.0.1:8080 --name ftp1\n' +
        '  pnpm collector --once --json --netns ftp1',
    );
}

/** Pairs `--manager-pid PID` (one host) or `NS=PID` (per --netns) with the hosts; a PID for no host is an error. */
export function withManagerPids(hosts: HostSpec[], values: string[]): HostSpec[] {
  const byNs = new Map<string | null, number>();
  for (const v of values) {
    const m = /^(?:([^=]+)=)?(\d+)$/.exec(v);
    const ns = m?.[1] ?? (hosts.length === 1 ? (hosts[0]?.netns ?? null) : undefined);
    if (!m || ns === undefined)
      throw new ConfigError(`--manager-pid ${v}: expected PID (one host) or NS=PID (with several --netns)`);
    if (!hosts.some((h) => h.netns === ns)) throw new ConfigError(`--manager-pid ${v}: no --netns ${ns}`);
    byNs.set(ns, Number(m[2]));
  }
  return hosts.map((h) => ({ ...h, managerPid: byNs.get(h.netns) ?? null }));
}

/** Integer with an optional k/M/G (binary) suffix; NaN when it is not one, so the schema rejects it. */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*([kmg])?(i?b)?$/i.exec(text.trim());
  if (!m?.[1]) return Number.NaN;
  const mult = { k: 1024, m: MiB, g: 1024 * MiB }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * mult;
}

const parseInteger = (text: string): number => (/^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN);

/** The hosts to watch, named as the README documents: one netns → --name (or the netns); several → NAME-NS. */
export function hostSpecs(name: string | undefined, netns: string[], fallbackName: string): HostSpec[] {
  if (netns.length === 0) return [{ name: name ?? fallbackName, netns: null }];
  if (netns.length === 1) return [{ name: name ?? (netns[0] as string), netns: netns[0] as string }];
  return netns.map((ns) => ({ name: name ? `${name}-${ns}` : ns, netns: ns }));
}

function readToken(opts: Record<string, unknown>, sourceOf: (key: string) => string | undefined) {
  const inline = opts.token as string | undefined;
  const file = opts.tokenFile as string | undefined;
  if (inline !== undefined && file !== undefined) {
    throw new ConfigError('give the token either with --token/FTPSCOPE_TOKEN or with --token-file, not both');
  }
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read --token-file ${file}: ${(err as Error).message}`);
    }
    const token = text.trim();
    if (token === '') throw new ConfigError(`--token-file ${file} is empty`);
    return { token, tokenSource: 'file' as const };
  }
  if (inline === undefined) return { token: null, tokenSource: null };
  return { token: inline, tokenSource: sourceOf('token') === 'env' ? ('env' as const) : ('cli' as const) };
}

/** ws://host:port → ws://host:port/ws/collector (each of a comma-separated list of hubs to fail over between). */
function hubUrl(text: string | undefined): string | null {
  if (text === undefined) return null;
  return text
    .split(',')
    .map((part) => oneHubUrl(part.trim()))
    .join(',');
}

/** One hub URL; a URL with its own path is kept as given. */
function oneHubUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.replace(/^http(s?):/i, 'ws$1:'));
  } catch {
    throw new ConfigError(
      `--hub: not a URL: ${text} (expected wss://HOST:PORT, or ws://HOST:PORT on loopback)`,
    );
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ConfigError(`--hub: use wss:// (or ws://), not ${url.protocol}// (${text})`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = COLLECTOR_WS_PATH;
  return url.toString();
}

/** Human-readable schema errors, each naming the flag. */
function describeErrors(config: unknown): string[] {
  return [...Value.Errors(Config, config)].map((e) => {
    const field = e.path.split('/')[1] ?? '';
    if (Number.isNaN(e.value)) return `${FLAG[field] ?? field}: expected a whole number`;
    const shown = e.path.startsWith('/hosts') ? `name ${JSON.stringify(e.value)}` : JSON.stringify(e.value);
    return `${FLAG[field] ?? field}: ${e.message} (got ${shown})`;
  });
}

export interface ParseOptions {
  version?: string;
  /** Where --help and --version go (stdout by default). */
  writeOut?: (text: string) => void;
  /** Where commander's own errors go (stderr by default). */
  writeErr?: (text: string) => void;
  /** Default host name when --name is not given. */
  defaultName?: string;
}

/** Parses argv (user args only, no node/script) and FTPSCOPE_* env into a validated Config or throws ConfigError. */
export function parseConfig(argv: string[], options: ParseOptions = {}): Config {
  const cmd = buildCommand(options.version ?? '0.0.0')
    .exitOverride()
    .configureOutput({
      writeOut: options.writeOut ?? ((s) => process.stdout.write(s)),
      writeErr: options.writeErr ?? ((s) => process.stderr.write(s)),
    });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version';
      throw new ConfigError(ok ? '' : err.message, ok ? 0 : 2);
    }
    throw err;
  }
  const o = cmd.opts();
  const sourceOf = (key: string) => cmd.getOptionValueSource(key);
  const flag = (v: unknown) => v === true || v === 'true' || v === '1' || v === 'yes';
  const { token, tokenSource } = readToken(o, sourceOf);
  const netns = o.netns as string[];
  const dup = netns.find((ns, i) => netns.indexOf(ns) !== i);
  if (dup !== undefined) throw new ConfigError(`--netns ${dup} is given twice`);
  const hosts = withManagerPids(
    hostSpecs(
      o.name as string | undefined,
      netns,
      options.defaultName ?? hostname().split('.')[0] ?? 'localhost',
    ),
    o.managerPid as string[],
  );
  const config = {
    hub: hubUrl(o.hub as string | undefined),
    hubFingerprint: (o.hubFingerprint as string | undefined) ?? null,
    token,
    tokenSource,
    hosts,
    intervalMs: parseInteger(o.interval as string),
    ftpPorts: collect(o.ftpPorts as string).map(parseInteger),
    nflogGroups: (o.nflogGroup as string[]).map(parseInteger),
    vsftpdConf: (o.vsftpdConf as string | undefined) ?? null,
    ftpServer: o.vsftpdConf !== undefined && o.ftpServer === 'auto' ? 'vsftpd' : (o.ftpServer as string),
    ftpConf: (o.ftpConf as string | undefined) ?? (o.vsftpdConf as string | undefined) ?? null,
    ftpLog: (o.ftpLog as string | undefined) ?? null,
    spoolDir: o.spool as string,
    spoolMaxBytes: parseSize(o.spoolMaxBytes as string),
    eventBufferBytes: parseSize(o.eventBuffer as string),
    observe: o.observe !== 'off',
    ctreader: (o.ctreader as string | undefined) ?? null,
    once: flag(o.once),
    json: flag(o.json),
    logLevel: o.logLevel as string,
  };
  const errors = describeErrors(config);
  if (errors.length > 0) throw new ConfigError(`invalid configuration:\n  ${errors.join('\n  ')}`);
  if (!config.once && config.hub === null) {
    throw new ConfigError('--hub (FTPSCOPE_HUB) is required unless --once is given; see --help');
  }
  if (config.hubFingerprint !== null && config.hub?.startsWith('ws:')) {
    throw new ConfigError(
      `--hub-fingerprint pins a TLS certificate, but --hub ${config.hub} is plain ws://; use wss://`,
    );
  }
  if (!config.once && config.token === null) {
    throw new ConfigError(
      'a collector token is required: set FTPSCOPE_TOKEN, --token-file or --token; see --help',
    );
  }
  return config as Config;
}
