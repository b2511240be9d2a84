import type { FtpServerSettings } from '@ftpscope/shared';
import { ParseAccumulator } from '../../sources/parse-result.ts';

/**
 * Pure-FTPd is configured three ways, all read into the same option names (Debian's and upstream's
 * config names): command-line flags (`pure-ftpd -p 40000:40100 -P 203.0.113.5`), a config file given
 * as the only argument (`Key value` lines, upstream's pure-ftpd.conf), and Debian's one-file-per-option
 * directory /etc/pure-ftpd/conf (which pure-ftpd-wrapper turns into flags).
 */

/** Option name of each short and long flag that matters here (the rest are known and ignored). */
const FLAGS: Record<string, string> = {
  S: 'Bind',
  bind: 'Bind',
  p: 'PassivePortRange',
  passiveportrange: 'PassivePortRange',
  P: 'ForcePassiveIP',
  forcepassiveip: 'ForcePassiveIP',
  Y: 'TLS',
  tls: 'TLS',
  '4': 'IPV4Only',
  ipv4only: 'IPV4Only',
  '6': 'IPV6Only',
  ipv6only: 'IPV6Only',
  O: 'AltLog',
  altlog: 'AltLog',
  f: 'SyslogFacility',
  syslogfacility: 'SyslogFacility',
  d: 'VerboseLog',
  verboselog: 'VerboseLog',
  '1': 'LogPID',
  logpid: 'LogPID',
  N: 'NATmode',
  natmode: 'NATmode',
  e: 'AnonymousOnly',
  anonymousonly: 'AnonymousOnly',
  E: 'NoAnonymous',
  noanonymous: 'NoAnonymous',
};

/** Short flags that take a value (from `pure-ftpd --help`, 1.0.50). */
const WITH_VALUE = new Set('23aCcfFgIlLmnOpPqQStTUuVyYJk'.split(''));
/** Long flags that take a value. */
const LONG_WITH_VALUE = new Set([
  'certfile',
  'extcert',
  'trustedgid',
  'maxclientsperip',
  'maxclientsnumber',
  'syslogfacility',
  'fortunesfile',
  'pidfile',
  'maxidletime',
  'login',
  'limitrecursion',
  'maxload',
  'quota',
  'altlog',
  'passiveportrange',
  'forcepassiveip',
  'anonymousratio',
  'userratio',
  'bind',
  'anonymousbandwidth',
  'userbandwidth',
  'umask',
  'minuid',
  'trustedip',
  'peruserlimits',
  'tls',
  'tlsciphersuite',
  'maxdiskusagepct',
]);

/** Options in effect, by name; repeatable ones (AltLog) keep every value. */
export type PureOptions = Map<string, string[]>;

const add = (o: PureOptions, name: string, value: string) => o.set(name, [...(o.get(name) ?? []), value]);

/** Reads a command line: flags (clustered short ones too), or the single config-file argument. */
export function optionsFromArgv(argv: string[]): { options: PureOptions; configFile: string | null } {
  const options: PureOptions = new Map();
  const args = argv.slice(1);
  if (args.length === 1 && !(args[0] as string).startsWith('-'))
    return { options, configFile: args[0] as string };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a.startsWith('--')) {
      const [name = '', inline] = a.slice(2).split(/=(.*)/s);
      const value = LONG_WITH_VALUE.has(name) ? (inline ?? args[++i] ?? '') : 'yes';
      if (FLAGS[name]) add(options, FLAGS[name] as string, value);
      continue;
    }
    if (!a.startsWith('-')) continue;
    for (let j = 1; j < a.length; j++) {
      const f = a[j] as string;
      if (WITH_VALUE.has(f)) {
        const value = j + 1 < a.length ? a.slice(j + 1) : (args[++i] ?? '');
        if (FLAGS[f]) add(options, FLAGS[f] as string, value);
        break;
      }
      if (FLAGS[f]) add(options, FLAGS[f] as string, 'yes');
    }
  }
  return { options, configFile: null };
}

/** Reads upstream's pure-ftpd.conf format: `Key value` lines, `#` comments. */
export function optionsFromConfFile(text: string): {
  options: PureOptions;
  unknown: number;
  examples: string[];
} {
  const options: PureOptions = new Map();
  const acc = new ParseAccumulator<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z][A-Za-z0-9]*)\s+(.+)$/.exec(line);
    if (!m) {
      acc.reject(raw);
      continue;
    }
    acc.add(line);
    add(options, m[1] as string, (m[2] as string).trim());
  }
  return { options, unknown: acc.unknown, examples: acc.examples };
}

/** Reads Debian's /etc/pure-ftpd/conf: one file per option, named like it, holding its value. */
export function optionsFromDebianDir(files: Array<[name: string, text: string]>): PureOptions {
  const options: PureOptions = new Map();
  for (const [name, text] of files) {
    const value = text.split(/\r?\n/).find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    if (value !== undefined) add(options, name, value.trim());
  }
  return options;
}

const yes = (v: string | undefined) => v !== undefined && /^(yes|on|true|1)$/i.test(v);
const last = (o: PureOptions, name: string) => o.get(name)?.at(-1);

/** A transfer log named by AltLog: its format (clf, stats, w3c, xferlog) and path. */
export interface AltLog {
  format: string;
  path: string;
}

/** The settings the options give, plus the AltLog files and whether it logs to syslog (and how much). */
export function settingsFromOptions(
  o: PureOptions,
  configPath: string,
): { settings: FtpServerSettings; altLogs: AltLog[]; syslog: boolean; verbose: boolean; logPid: boolean } {
  // Bind: "[address,]port" (a bare number is a port).
  const bind = last(o, 'Bind') ?? '';
  const comma = bind.lastIndexOf(',');
  const bindPort = Number(comma >= 0 ? bind.slice(comma + 1) : /^\d+$/.test(bind) ? bind : '21');
  const listenPort = Number.isInteger(bindPort) && bindPort > 0 && bindPort <= 65535 ? bindPort : 21;
  const listenAddress =
    comma >= 0 ? bind.slice(0, comma) || null : /^\d+$/.test(bind) || bind === '' ? null : bind;
  const range = (last(o, 'PassivePortRange') ?? '').split(/[\s:]+/).map(Number);
  const validPort = (n: number | undefined) =>
    n !== undefined && Number.isInteger(n) && n > 0 && n <= 65535 ? n : null;
  const tls = Number(last(o, 'TLS') ?? '0');
  const altLogs = (o.get('AltLog') ?? []).flatMap((v) => {
    const i = v.indexOf(':');
    return i > 0 ? [{ format: v.slice(0, i).toLowerCase(), path: v.slice(i + 1) }] : [];
  });
  return {
    settings: {
      server: 'pure-ftpd',
      configPath,
      listenPort,
      ipv6: !yes(last(o, 'IPV4Only')),
      // NATmode forces active mode: the server answers PASV with an error.
      pasvEnabled: !yes(last(o, 'NATmode')),
      pasvMinPort: validPort(range[0]),
      pasvMaxPort: validPort(range[1]),
      pasvAddress: last(o, 'ForcePassiveIP') ?? null,
      tls: tls > 0,
      portEnabled: true,
      controlPorts: [listenPort],
      listenAddress,
      tlsMode: tls <= 0 ? 'off' : tls === 1 ? 'optional' : 'required',
      tlsImplicit: false,
    },
    altLogs,
    syslog: (last(o, 'SyslogFacility') ?? 'ftp').toLowerCase() !== 'none',
    verbose: yes(last(o, 'VerboseLog')),
    logPid: yes(last(o, 'LogPID')),
  };
}
