import type { FtpServerSettings } from '@ftpscope/shared';
import { ParseAccumulator } from '../../sources/parse-result.ts';
import type { ConfLine } from './conf-expand.ts';
import { DEFAULT_LOG_FORMAT } from './log-parse.ts';

/** Modules built into Debian's proftpd binary (`proftpd -l`): their <IfModule> blocks always apply. */
const BUILT_IN = new Set([
  'mod_core',
  'mod_xfer',
  'mod_rlimit',
  'mod_auth_unix',
  'mod_auth_file',
  'mod_auth',
  'mod_ls',
  'mod_log',
  'mod_site',
  'mod_delay',
  'mod_facts',
  'mod_dso',
  'mod_auth_pam',
  'mod_cap',
  'mod_ctrls',
  'mod_lang',
]);

/** The logs a ProFTPD config names. */
export interface ProftpdLogs {
  /** ExtendedLog files with the LogFormat string each is written in. */
  extended: Array<{ path: string; format: string }>;
  /** TransferLog (xferlog format); null when set to NONE. */
  transfer: string | null;
  systemLog: string | null;
}

/** Settings and logs of a ProFTPD config, plus the lines it could not read. */
export interface ProftpdConfig {
  settings: FtpServerSettings;
  logs: ProftpdLogs;
  unknown: number;
  examples: string[];
}

/** Splits directive arguments, keeping "quoted strings" whole (quotes removed). */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text))
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] as string));
  return out;
}

const on = (v: string | undefined) => v !== undefined && /^(on|yes|true|1)$/i.test(v);
const portOf = (v: string | undefined) => {
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
};

/**
 * Reads the settings ftpscope needs from an expanded ProFTPD config (see expandProftpdConf): the main
 * server's Port, PassivePorts, MasqueradeAddress, DefaultAddress, UseIPv6, TLS (mod_tls: TLSEngine,
 * TLSRequired, TLSOptions UseImplicitSSL), `<Limit PASV|PORT> DenyAll`, and the logs (ExtendedLog with its
 * LogFormat, TransferLog, SystemLog). <VirtualHost> ports are extra control ports. <IfModule> blocks count
 * when the module is built in or loaded by LoadModule (or when the config loads no modules at all: a
 * static build); <IfDefine NAME> blocks do not (defines come from the command line).
 */
export function parseProftpdConf(lines: ConfLine[], configPath: string): ProftpdConfig {
  const acc = new ParseAccumulator<string>();
  const loaded = new Set<string>();
  const dso = lines.some((l) => /^LoadModule\s/i.test(l.text));
  const formats = new Map<string, string>([['default', DEFAULT_LOG_FORMAT]]);
  const main: Record<string, string[]> = {};
  const extraPorts: number[] = [];
  const extended: Array<{ path: string; format: string }> = [];
  let transfer: string | null = '/var/log/xferlog';
  let systemLog: string | null = null;
  let pasvDenied = false;
  let portDenied = false;
  // Block stack: [tag, active]; directives count only when every enclosing block is active.
  const stack: Array<{ tag: string; active: boolean; args: string[] }> = [];
  const active = () => stack.every((b) => b.active);
  const inside = (tag: string) => stack.some((b) => b.tag === tag);

  for (const l of lines) {
    const open = /^<\s*([A-Za-z]+)\s*([^>]*)>$/.exec(l.text);
    const close = /^<\/\s*([A-Za-z]+)\s*>$/.exec(l.text);
    if (close) {
      const tag = (close[1] as string).toLowerCase();
      if (stack.at(-1)?.tag !== tag) {
        acc.reject(`${l.file}:${l.line}: ${l.text}`);
        continue;
      }
      stack.pop();
      acc.add(l.text);
      continue;
    }
    if (open) {
      const tag = (open[1] as string).toLowerCase();
      const args = splitArgs(open[2] as string);
      let blockActive = true;
      if (tag === 'ifmodule') {
        const raw = (args[0] ?? '').replace(/\.c$/, '');
        const negate = raw.startsWith('!');
        const mod = raw.replace(/^!/, '');
        const present = !dso || BUILT_IN.has(mod) || loaded.has(mod);
        blockActive = negate ? !present : present;
      } else if (tag === 'ifdefine') {
        blockActive = (args[0] ?? '').startsWith('!');
      }
      stack.push({ tag, active: blockActive, args });
      acc.add(l.text);
      continue;
    }
    const m = /^([A-Za-z][A-Za-z0-9_]*)(?:\s+(.*))?$/.exec(l.text);
    if (!m) {
      acc.reject(`${l.file}:${l.line}: ${l.text}`);
      continue;
    }
    acc.add(l.text);
    if (!active()) continue;
    const name = (m[1] as string).toLowerCase();
    const args = splitArgs(m[2] ?? '');
    if (name === 'loadmodule') loaded.add((args[0] ?? '').replace(/\.c$/, ''));
    if (name === 'logformat' && args.length >= 2) formats.set(args[0] as string, args[1] as string);
    const top = stack.find((b) => b.tag !== 'ifmodule' && b.tag !== 'ifdefine');
    const limit = stack.at(-1);
    if (limit?.tag === 'limit' && name === 'denyall' && !inside('anonymous') && !inside('directory')) {
      const cmds = limit.args.map((a) => a.toUpperCase());
      if (cmds.includes('PASV') || cmds.includes('EPSV')) pasvDenied = true;
      if (cmds.includes('PORT') || cmds.includes('EPRT')) portDenied = true;
    }
    if (top?.tag === 'virtualhost') {
      if (name === 'port') {
        const p = portOf(args[0]);
        if (p) extraPorts.push(p);
      }
      continue;
    }
    if (top && top.tag !== 'global') continue;
    if (name === 'extendedlog' && args[0]) {
      // ExtendedLog PATH [CMD-CLASSES [FORMAT-NAME]]
      extended.push({ path: args[0], format: args[2] ?? 'default' });
    } else if (name === 'transferlog' && args[0]) {
      transfer = /^none$/i.test(args[0]) ? null : args[0];
    } else if (name === 'systemlog' && args[0]) {
      systemLog = /^none$/i.test(args[0]) ? null : args[0];
    } else {
      main[name] = args;
    }
  }
  for (const b of stack) acc.reject(`${configPath}: <${b.tag}> is never closed`);

  const port = portOf(main.port?.[0]) ?? 21;
  const passive = (main.passiveports ?? []).map(portOf);
  const tlsOn = on(main.tlsengine?.[0]);
  const required = (main.tlsrequired?.[0] ?? 'off').toLowerCase();
  const implicit = tlsOn && (main.tlsoptions ?? []).some((o) => /^UseImplicitSSL$/i.test(o));
  const controlPorts = [...new Set([port, ...extraPorts])].filter((p) => p > 0);
  return {
    settings: {
      server: 'proftpd',
      configPath,
      listenPort: controlPorts[0] ?? 21,
      ipv6: main.useipv6 ? on(main.useipv6[0]) : true,
      pasvEnabled: !pasvDenied,
      pasvMinPort: passive[0] ?? null,
      pasvMaxPort: passive[1] ?? null,
      pasvAddress: main.masqueradeaddress?.[0] ?? null,
      tls: tlsOn,
      portEnabled: !portDenied,
      controlPorts,
      listenAddress: main.defaultaddress?.[0] ?? null,
      tlsMode: !tlsOn
        ? 'off'
        : implicit || ['on', 'ctrl', 'auth', 'auth+data', 'both'].includes(required)
          ? 'required'
          : 'optional',
      tlsImplicit: implicit,
    },
    logs: {
      extended: extended.map((e) => ({ path: e.path, format: formats.get(e.format) ?? DEFAULT_LOG_FORMAT })),
      transfer,
      systemLog,
    },
    unknown: acc.unknown,
    examples: acc.examples,
  };
}
