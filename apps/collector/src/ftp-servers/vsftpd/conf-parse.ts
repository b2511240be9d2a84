import type { FtpServerSettings } from '@ftpscope/shared';
import { int, lines, ParseAccumulator } from '../../sources/parse-result.ts';

/** vsftpd settings plus where it writes its logs (used to find the log to follow). */
export interface VsftpdConfig {
  settings: FtpServerSettings;
  /** vsftpd-format log (protocol and transfer lines), when vsftpd writes one. */
  vsftpdLog: string | null;
  /** wu-ftpd style xferlog, when vsftpd writes one. */
  xferlog: string | null;
  unknown: number;
  examples: string[];
}

const yes = (v: string | undefined, dflt: boolean) =>
  v === undefined ? dflt : v.toUpperCase() === 'YES' || v.toUpperCase() === 'TRUE' || v === '1';

/** Parses vsftpd.conf (`key=value`, `#` comments) with vsftpd's defaults for what is not set. */
export function parseVsftpdConf(text: string, configPath: string): VsftpdConfig {
  const acc = new ParseAccumulator<[string, string]>();
  const kv = new Map<string, string>();
  for (const raw of lines(text)) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const m = /^([a-z_0-9]+)=(.*)$/.exec(line);
    if (!m) {
      acc.reject(raw);
      continue;
    }
    kv.set(m[1] as string, (m[2] as string).trim());
    acc.add([m[1] as string, m[2] as string]);
  }
  const port = (k: string) => {
    const n = int(kv.get(k));
    return n !== null && n > 0 && n <= 65535 ? n : null;
  };
  const xferlogEnable = yes(kv.get('xferlog_enable'), false);
  const std = yes(kv.get('xferlog_std_format'), false);
  const dual = yes(kv.get('dual_log_enable'), false);
  const vsftpdLogFile = kv.get('vsftpd_log_file') || '/var/log/vsftpd.log';
  const xferlogFile = kv.get('xferlog_file') || '/var/log/xferlog';
  const tls = yes(kv.get('ssl_enable'), false);
  const implicit = tls && yes(kv.get('implicit_ssl'), false);
  const listenPort = port('listen_port') ?? (implicit ? 990 : 21);
  // Local users must use TLS by default once it is on; anonymous ones may not unless allowed and forced.
  const localForced = yes(kv.get('force_local_logins_ssl'), true);
  const anonymous = yes(kv.get('anonymous_enable'), false);
  const anonForced = yes(kv.get('allow_anon_ssl'), false) && yes(kv.get('force_anon_logins_ssl'), false);
  const tlsMode = !tls
    ? 'off'
    : implicit || (localForced && (!anonymous || anonForced))
      ? 'required'
      : 'optional';
  return {
    settings: {
      server: 'vsftpd',
      configPath,
      listenPort,
      ipv6: yes(kv.get('listen_ipv6'), false),
      pasvEnabled: yes(kv.get('pasv_enable'), true),
      pasvMinPort: port('pasv_min_port'),
      pasvMaxPort: port('pasv_max_port'),
      pasvAddress: kv.get('pasv_address') || null,
      tls,
      portEnabled: yes(kv.get('port_enable'), true),
      controlPorts: [listenPort],
      listenAddress: kv.get('listen_address') || kv.get('listen_address6') || null,
      tlsMode,
      tlsImplicit: implicit,
    },
    // vsftpd writes its own format unless xferlog_std_format is set; dual_log_enable writes both.
    vsftpdLog: (xferlogEnable && !std) || dual ? vsftpdLogFile : null,
    xferlog: xferlogEnable && (std || dual) ? xferlogFile : null,
    unknown: acc.unknown,
    examples: acc.examples,
  };
}
