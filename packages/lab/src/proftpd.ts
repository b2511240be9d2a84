import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabFtpServer, ServerVariant } from './ftp-server.ts';
import type { LabHost } from './index.ts';
import { extractedBinary, LAB_SERVERS_DIR, spawnInNetns, waitListening } from './server-process.ts';
import { bindIp, PAM_SERVICE, userRoot } from './vsftpd.ts';

/**
 * The ExtendedLog format of the lab's ProFTPD: the one the collector README recommends (session pid, client
 * address and port, command, reply code and text, bytes, transfer status).
 */
export const PROFTPD_LOG_FORMAT = '%{iso8601} %P %a %{remote-port} %u %m "%J" %s "%S" %b %{transfer-status}';

const files = (hostDir: string, instance?: string) => {
  const name = instance ?? 'proftpd';
  return {
    conf: join(hostDir, `${name}.conf`),
    log: join(hostDir, `${name}-extended.log`),
    dir: join(hostDir, `${name}.d`),
  };
};

/**
 * proftpd.conf of a lab host: standalone, anonymous root = the host's pub dir, the local user chrooted to
 * its home (PAM service of the lab), PassivePorts = the host's range, ExtendedLog in PROFTPD_LOG_FORMAT,
 * TransferLog, SystemLog, and an Include of <name>.d/*.conf (where TLS goes), so includes are exercised.
 */
export function proftpdConfig(host: LabHost, hostDir: string, variant: ServerVariant = {}): string {
  const f = files(hostDir, variant.instance);
  const name = variant.instance ?? 'proftpd';
  const addresses = [bindIp(host), ...(host.ip6 && !host.insideIp ? [host.ip6] : [])];
  return [
    `# ftpscope lab: ${host.name} (ProFTPD)`,
    `ServerName "ftpscope lab ${host.name}"`,
    'ServerType standalone',
    'DefaultServer on',
    `Port ${variant.port ?? 21}`,
    `DefaultAddress ${addresses.join(' ')}`,
    'SocketBindTight on',
    `UseIPv6 ${host.ip6 ? 'on' : 'off'}`,
    'User nobody',
    'Group nogroup',
    'Umask 022',
    'MaxInstances 200',
    `ModulePath ${join(LAB_SERVERS_DIR, 'usr/lib/proftpd')}`,
    `ScoreboardFile ${join(hostDir, `${name}.scoreboard`)}`,
    `PidFile ${join(hostDir, `${name}.pid`)}`,
    'DelayTable none',
    'WtmpLog off',
    'UseReverseDNS off',
    'RequireValidShell off',
    `AuthPAMConfig ${PAM_SERVICE}`,
    `DefaultRoot ${userRoot(hostDir)}`,
    'AllowOverwrite on',
    `PassivePorts ${host.passiveRange[0]} ${host.passiveRange[1]}`,
    `SystemLog ${join(hostDir, `${name}.log`)}`,
    `TransferLog ${join(hostDir, `${name}.xferlog`)}`,
    `LogFormat ftpscope "${PROFTPD_LOG_FORMAT.replace(/"/g, '\\"')}"`,
    `ExtendedLog ${f.log} ALL ftpscope`,
    `Include ${f.dir}/*.conf`,
    `<Anonymous ${host.ftpRoot}>`,
    '  User ftp',
    '  Group nogroup',
    '  UserAlias anonymous ftp',
    '  <Limit WRITE>',
    '    DenyAll',
    '  </Limit>',
    '</Anonymous>',
    '',
  ].join('\n');
}

/** mod_tls settings (an included file): TLS offered, not required, no session reuse demanded. */
function tlsConfig(tls: { cert: string; key: string }): string {
  return [
    'LoadModule mod_tls.c',
    'TLSEngine on',
    'TLSProtocol TLSv1.2 TLSv1.3',
    `TLSRSACertificateFile ${tls.cert}`,
    `TLSRSACertificateKeyFile ${tls.key}`,
    'TLSRequired off',
    'TLSOptions NoSessionReuseRequired',
    '',
  ].join('\n');
}

/** ProFTPD 1.3.8 from Debian's package, extracted by scripts/setup-ftp-servers.sh, run in the foreground (-n). */
export const labProftpd: LabFtpServer = {
  binaries: () => [extractedBinary('proftpd')],
  files: (hostDir, instance) => {
    const f = files(hostDir, instance);
    return { conf: f.conf, log: f.log };
  },
  async write(host, hostDir, variant) {
    const f = files(hostDir, variant.instance);
    await mkdir(f.dir, { recursive: true });
    await writeFile(f.conf, proftpdConfig(host, hostDir, variant));
    await writeFile(join(f.dir, 'limits.conf'), 'MaxClientsPerHost 200\n');
    if (variant.tls) await writeFile(join(f.dir, 'tls.conf'), tlsConfig(variant.tls));
    else await rm(join(f.dir, 'tls.conf'), { force: true });
    return { conf: f.conf, log: f.log };
  },
  async start(host, hostDir, variant) {
    const f = files(hostDir, variant.instance);
    const pid = spawnInNetns(host.netns, [extractedBinary('proftpd'), '-n', '-q', '-c', f.conf], 'proftpd');
    const sockets = host.ip6 && !host.insideIp ? 2 : 1;
    await waitListening(host.netns, variant.port ?? 21, sockets, 'proftpd');
    return [pid];
  },
};
