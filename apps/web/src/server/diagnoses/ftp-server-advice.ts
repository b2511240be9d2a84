import type { FtpServerKind, FtpServerSettings } from '@ftpscope/shared';

/**
 * What a fix says on the FTP server's side, in each server's own terms: the names of its settings, the lines
 * that set them (shell commands an operator can run as written), and how to restart it. Adding a server means
 * one entry here, like a driver in the collector's ftp-servers/ registry.
 */
export interface ServerAdvice {
  /** "vsftpd", "ProFTPD", "Pure-FTPd". */
  name: string;
  /** Setting names, for explanations and evidence labels. */
  terms: { advertisedAddress: string; passiveRange: string; controlPort: string; tls: string };
  /** Lines that make the server advertise `address` in its PASV replies. */
  advertiseAddress(configPath: string, address: string): string[];
  /** Lines that set the server's passive port range. */
  passiveRange(configPath: string, range: [number, number]): string[];
  /** The comment line that says how to restart it. */
  restart: string;
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** `sed` that removes every line of a key and appends `line` at the end (the file's top level). */
const setLine = (configPath: string, keyPattern: string, line: string) =>
  `sed -i -e '/${keyPattern}/d' -e ${q(`$a ${line}`)} ${q(configPath)}`;

/** How Pure-FTPd was configured: flags on its command line, Debian's conf directory, or a config file. */
function pureForm(configPath: string): 'argv' | 'debian' | 'file' {
  if (configPath.endsWith('(command line)')) return 'argv';
  return /\/conf\/?$/.test(configPath) ? 'debian' : 'file';
}

const ADVICE: Record<FtpServerKind, ServerAdvice> = {
  vsftpd: {
    name: 'vsftpd',
    terms: {
      advertisedAddress: 'pasv_address',
      passiveRange: 'pasv_min_port/pasv_max_port',
      controlPort: 'listen_port',
      tls: 'ssl_enable',
    },
    advertiseAddress: (c, a) => [setLine(c, '^pasv_address=', `pasv_address=${a}`)],
    passiveRange: (c, [lo, hi]) => [
      setLine(c, '^pasv_min_port=', `pasv_min_port=${lo}`),
      setLine(c, '^pasv_max_port=', `pasv_max_port=${hi}`),
    ],
    restart: '# then restart vsftpd: systemctl restart vsftpd',
  },
  proftpd: {
    name: 'ProFTPD',
    terms: {
      advertisedAddress: 'MasqueradeAddress',
      passiveRange: 'PassivePorts',
      controlPort: 'Port',
      tls: 'TLSEngine',
    },
    advertiseAddress: (c, a) => [
      setLine(c, '^[[:space:]]*MasqueradeAddress[[:space:]]', `MasqueradeAddress ${a}`),
    ],
    passiveRange: (c, [lo, hi]) => [
      setLine(c, '^[[:space:]]*PassivePorts[[:space:]]', `PassivePorts ${lo} ${hi}`),
    ],
    restart: '# then restart ProFTPD: systemctl restart proftpd',
  },
  'pure-ftpd': {
    name: 'Pure-FTPd',
    terms: {
      advertisedAddress: 'ForcePassiveIP (-P)',
      passiveRange: 'PassivePortRange (-p)',
      controlPort: 'Bind (-S)',
      tls: 'TLS (-Y)',
    },
    advertiseAddress: (c, a) => {
      const form = pureForm(c);
      if (form === 'argv') return [`# add -P ${a} (ForcePassiveIP) to pure-ftpd's command line`];
      if (form === 'debian') return [`echo ${q(a)} > ${q(`${c.replace(/\/$/, '')}/ForcePassiveIP`)}`];
      return [setLine(c, '^ForcePassiveIP[[:space:]]', `ForcePassiveIP ${a}`)];
    },
    passiveRange: (c, [lo, hi]) => {
      const form = pureForm(c);
      if (form === 'argv') return [`# add -p ${lo}:${hi} (PassivePortRange) to pure-ftpd's command line`];
      if (form === 'debian')
        return [`echo ${q(`${lo} ${hi}`)} > ${q(`${c.replace(/\/$/, '')}/PassivePortRange`)}`];
      return [setLine(c, '^PassivePortRange[[:space:]]', `PassivePortRange ${lo} ${hi}`)];
    },
    restart: '# then restart Pure-FTPd: systemctl restart pure-ftpd',
  },
};

/** The advice for the host's FTP server (vsftpd when the collector did not say: older collectors only read it). */
export function serverAdvice(settings: FtpServerSettings | null): ServerAdvice {
  return ADVICE[settings?.server ?? 'vsftpd'];
}

/** "/etc/vsftpd.conf (vsftpd)" for evidence labels. */
export function serverLabel(settings: FtpServerSettings): string {
  return `${settings.configPath} (${serverAdvice(settings).name})`;
}
