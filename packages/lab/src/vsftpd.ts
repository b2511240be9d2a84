import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, runOk } from './exec.ts';
import type { LabFtpServer, ServerVariant } from './ftp-server.ts';
import type { LabHost } from './index.ts';
import { spawnInNetns, waitListening } from './server-process.ts';

/** The lab's local FTP user (a system account with no shell, created once and left in place). */
export const LAB_USER = { name: 'ftpscope-lab', password: 'ftpscope-lab' } as const;
/** PAM service of the lab's vsftpd: pam_unix only, so the user needs no login shell. */
export const PAM_SERVICE = 'ftpscope-lab';
const PAM_FILE = `/etc/pam.d/${PAM_SERVICE}`;
/** vsftpd's secure_chroot_dir (Debian's default), also the lab user's home. */
export const EMPTY_DIR = '/var/run/vsftpd/empty';

/** Files every host serves (anonymous root), and the client keeps for uploads. */
export const LAB_FILES = ['small.txt', '1MB.bin'] as const;

/** Creates the lab user and its PAM service if missing (idempotent; call under the lab lock). */
export async function ensureLabUser(): Promise<void> {
  // vsftpd chdir()s to the user's home before local_root, so the home must exist: use the empty dir.
  await mkdir(EMPTY_DIR, { recursive: true });
  const exists = await run(['id', '-u', LAB_USER.name]);
  if (exists.code !== 0) {
    await runOk([
      'useradd',
      '--system',
      '--no-create-home',
      '--home-dir',
      EMPTY_DIR,
      '--shell',
      '/usr/sbin/nologin',
      LAB_USER.name,
    ]);
    await runOk(['chpasswd'], { input: `${LAB_USER.name}:${LAB_USER.password}\n` });
  } else {
    await runOk(['usermod', '--home', EMPTY_DIR, LAB_USER.name]);
  }
  const pam = await readFile(PAM_FILE, 'utf8').catch(() => null);
  if (pam === null) {
    await writeFile(
      PAM_FILE,
      '# ftpscope lab vsftpd: password check only (the lab user has no shell).\nauth required pam_unix.so\naccount required pam_unix.so\n',
    );
  }
}

/** Writes the sample files a host serves or a client uploads into dir. */
export async function writeSampleFiles(dir: string, label: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFile(join(dir, 'small.txt'), `hello from the ftpscope lab (${label})\n`);
  await writeFile(join(dir, '1MB.bin'), randomBytes(1024 * 1024));
}

/** Local user's writable chroot of a host. */
export const userRoot = (hostDir: string): string => join(hostDir, 'home');

/** The address a host's server binds to: its own (inside) address behind NAT, else the one clients use. */
export const bindIp = (host: LabHost): string => host.insideIp ?? host.ip;

/** vsftpd config for a host; v6 = the second instance that listens on the host's IPv6 address. */
export function vsftpdConfig(
  host: LabHost,
  hostDir: string,
  v6: boolean,
  variant: ServerVariant = {},
): string {
  const name = variant.instance ?? 'vsftpd';
  const tls = variant.tls
    ? [
        'ssl_enable=YES',
        'allow_anon_ssl=YES',
        `rsa_cert_file=${variant.tls.cert}`,
        `rsa_private_key_file=${variant.tls.key}`,
        'ssl_ciphers=HIGH',
        'require_ssl_reuse=NO',
      ]
    : [];
  const lines = [
    `# ftpscope lab: ${host.name}${v6 ? ' (IPv6 instance)' : ''}`,
    v6 ? 'listen=NO' : 'listen=YES',
    v6 ? 'listen_ipv6=YES' : 'listen_ipv6=NO',
    v6 ? `listen_address6=${host.ip6}` : `listen_address=${bindIp(host)}`,
    ...(variant.port ? [`listen_port=${variant.port}`] : []),
    // The lab tracks the pid itself (spawned detached), so vsftpd must not fork away.
    'background=NO',
    `ftpd_banner=ftpscope lab ${host.name}`,
    'anonymous_enable=YES',
    `anon_root=${host.ftpRoot}`,
    'no_anon_password=YES',
    'anon_upload_enable=NO',
    'local_enable=YES',
    'write_enable=YES',
    'local_umask=022',
    'chroot_local_user=YES',
    'allow_writeable_chroot=YES',
    `local_root=${userRoot(hostDir)}`,
    `pam_service_name=${PAM_SERVICE}`,
    'pasv_enable=YES',
    `pasv_min_port=${host.passiveRange[0]}`,
    `pasv_max_port=${host.passiveRange[1]}`,
    'port_enable=YES',
    'connect_from_port_20=YES',
    'seccomp_sandbox=NO',
    `secure_chroot_dir=${EMPTY_DIR}`,
    'xferlog_enable=YES',
    'xferlog_std_format=NO',
    'log_ftp_protocol=YES',
    'dual_log_enable=YES',
    `vsftpd_log_file=${variant.instance ? join(hostDir, `${name}.log`) : host.logFile}`,
    `xferlog_file=${join(hostDir, variant.instance ? `${name}.xferlog` : 'xferlog')}`,
    ...tls,
    '',
  ];
  return lines.join('\n');
}

/** Prepares a host's dirs: the anonymous root's files and the local user's writable home. */
export async function prepareHostDirs(host: LabHost, hostDir: string): Promise<void> {
  await writeSampleFiles(host.ftpRoot, host.name);
  const home = userRoot(hostDir);
  await mkdir(home, { recursive: true });
  await writeFile(join(home, 'readme.txt'), `uploads to ${host.name} land here\n`);
  const uid = Number((await runOk(['id', '-u', LAB_USER.name])).stdout.trim());
  const gid = Number((await runOk(['id', '-g', LAB_USER.name])).stdout.trim());
  await chown(home, uid, gid);
}

const confsOf = (host: LabHost, hostDir: string, variant: ServerVariant) => {
  const conf = variant.instance ? join(hostDir, `${variant.instance}.conf`) : host.vsftpdConf;
  return host.ip6 ? [conf, conf.replace(/\.conf$/, '6.conf')] : [conf];
};

/** vsftpd on a lab host: one instance per address family (IPv4 clients keep plain IPv4 addresses in the log). */
export const labVsftpd: LabFtpServer = {
  binaries: () => ['vsftpd'],
  files: (hostDir, instance) => ({
    conf: join(hostDir, `${instance ?? 'vsftpd'}.conf`),
    log: join(hostDir, `${instance ?? 'vsftpd'}.log`),
  }),
  async write(host, hostDir, variant) {
    const confs = confsOf(host, hostDir, variant);
    await writeFile(confs[0] as string, vsftpdConfig(host, hostDir, false, variant));
    if (confs[1]) await writeFile(confs[1], vsftpdConfig(host, hostDir, true, variant));
    return labVsftpd.files(hostDir, variant.instance);
  },
  async start(host, hostDir, variant) {
    const confs = confsOf(host, hostDir, variant);
    const pids = confs.map((conf) => spawnInNetns(host.netns, ['vsftpd', conf], 'vsftpd'));
    await waitListening(host.netns, variant.port ?? 21, confs.length, 'vsftpd');
    return pids;
  },
};
