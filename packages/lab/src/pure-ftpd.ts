import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from './errors.ts';
import { run } from './exec.ts';
import type { LabFtpServer, ServerVariant } from './ftp-server.ts';
import type { LabHost } from './index.ts';
import { extractedBinary, spawnInNetns, waitListening } from './server-process.ts';
import { bindIp } from './vsftpd.ts';

const files = (hostDir: string, instance?: string) => {
  const name = instance ?? 'pure-ftpd';
  return {
    conf: join(hostDir, `${name}.conf`),
    log: join(hostDir, `${name}-syslog.log`),
    script: join(hostDir, `${name}.sh`),
    syslogdPid: join(hostDir, `${name}-syslogd.pid`),
    bundle: join(hostDir, `${name}-tls.pem`),
  };
};

/**
 * pure-ftpd.conf of a lab host (upstream's `Key value` format, given as the only argument): anonymous only,
 * the host's passive range, VerboseLog and LogPID (commands and the session pid in syslog), an AltLog in
 * xferlog format. With IPv6 it binds every address (Bind takes one); behind NAT its inside address.
 */
export function pureFtpdConfig(host: LabHost, hostDir: string, variant: ServerVariant = {}): string {
  const port = variant.port ?? 21;
  const f = files(hostDir, variant.instance);
  return [
    `# ftpscope lab: ${host.name} (Pure-FTPd)`,
    host.ip6 && !host.insideIp ? `Bind ,${port}` : `Bind ${bindIp(host)},${port}`,
    `PassivePortRange ${host.passiveRange[0]} ${host.passiveRange[1]}`,
    'AnonymousOnly yes',
    'ChrootEveryone yes',
    'DontResolve yes',
    'VerboseLog yes',
    'LogPID yes',
    'SyslogFacility ftp',
    'MaxClientsNumber 200',
    'MaxClientsPerIP 200',
    `AltLog xferlog:${join(hostDir, `${variant.instance ?? 'pure-ftpd'}.xferlog`)}`,
    ...(variant.tls ? ['TLS 1', `CertFile ${f.bundle}`] : []),
    '',
  ].join('\n');
}

/**
 * The script that runs Pure-FTPd in its own mount namespace: Pure-FTPd logs only to syslog, and no syslog
 * daemon may be assumed on the machine, so /dev is a private tmpfs with the few devices it needs and a
 * busybox syslogd writing the lab's log file; the `ftp` user's home (the anonymous root Pure-FTPd serves)
 * is the host's pub dir, bind-mounted there only.
 */
function runScript(host: LabHost, f: ReturnType<typeof files>, ftpHome: string): string {
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  return [
    'set -e',
    'mount -t tmpfs -o mode=755 tmpfs /dev',
    'for d in null:1:3 zero:1:5 random:1:8 urandom:1:9; do',
    '  IFS=: read -r n a b <<EOF',
    '$d',
    'EOF',
    '  mknod -m 666 /dev/$n c $a $b',
    'done',
    `busybox syslogd -n -O ${q(f.log)} &`,
    `echo $! > ${q(f.syslogdPid)}`,
    'i=0; while [ ! -S /dev/log ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done',
    `mount --bind ${q(host.ftpRoot)} ${q(ftpHome)}`,
    `exec ${q(extractedBinary('pure-ftpd'))} ${q(f.conf)}`,
    '',
  ].join('\n');
}

/** The `ftp` account's home: Pure-FTPd's anonymous root (vsftpd's Debian package creates the account). */
async function ftpHome(): Promise<string> {
  const r = await run(['getent', 'passwd', 'ftp']);
  const home = r.stdout.split(':')[5];
  if (r.code !== 0 || !home)
    throw new LabError(
      'FTPSCOPE_ERR_LAB_MISSING_BINARY',
      'no `ftp` user',
      'install vsftpd (it creates the ftp account)',
    );
  return home;
}

/** Pure-FTPd 1.0.50 from Debian's package, extracted by scripts/setup-ftp-servers.sh. */
export const labPureFtpd: LabFtpServer = {
  binaries: () => [extractedBinary('pure-ftpd'), 'busybox', 'unshare'],
  files: (hostDir, instance) => {
    const f = files(hostDir, instance);
    return { conf: f.conf, log: f.log };
  },
  async write(host, hostDir, variant) {
    const f = files(hostDir, variant.instance);
    await writeFile(f.conf, pureFtpdConfig(host, hostDir, variant));
    if (variant.tls) {
      const [cert, key] = await Promise.all([
        readFile(variant.tls.cert, 'utf8'),
        readFile(variant.tls.key, 'utf8'),
      ]);
      await writeFile(f.bundle, `${key}${cert}`, { mode: 0o600 });
    }
    return { conf: f.conf, log: f.log };
  },
  async start(host, hostDir, variant) {
    const f = files(hostDir, variant.instance);
    await writeFile(f.script, runScript(host, f, await ftpHome()));
    const pid = spawnInNetns(
      host.netns,
      ['unshare', '-m', '--propagation', 'private', 'sh', f.script],
      'pure-ftpd',
    );
    const sockets = host.ip6 && !host.insideIp ? 2 : 1;
    await waitListening(host.netns, variant.port ?? 21, sockets, 'pure-ftpd');
    const syslogd = Number((await readFile(f.syslogdPid, 'utf8').catch(() => '')).trim());
    return syslogd > 0 ? [pid, syslogd] : [pid];
  },
};
