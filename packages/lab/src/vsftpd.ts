import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LabError } from './errors.ts';
import { run, runOk } from './exec.ts';
import type { LabHost } from './index.ts';

/** The lab's local FTP user (a system account with no shell, created once and left in place). */
export const LAB_USER = { name: 'ftpscope-lab', password: 'ftpscope-lab' } as const;
/** PAM service of the lab's vsftpd: pam_unix only, so the user needs no login shell. */
const PAM_SERVICE = 'ftpscope-lab';
const PAM_FILE = `/etc/pam.d/${PAM_SERVICE}`;
/** vsftpd's secure_chroot_dir (Debian's default), also the lab user's home. */
const EMPTY_DIR = '/var/run/vsftpd/empty';

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

/** vsftpd config for a host; v6 = the second instance that listens on the host's IPv6 address. */
export function vsftpdConfig(host: LabHost, hostDir: string, v6: boolean): string {
  const lines = [
    `# ftpscope lab: ${host.name}${v6 ? ' (IPv6 instance)' : ''}`,
    v6 ? 'listen=NO' : 'listen=YES',
    v6 ? 'listen_ipv6=YES' : 'listen_ipv6=NO',
    v6 ? `listen_address6=${host.ip6}` : `listen_address=${host.ip}`,
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
    `vsftpd_log_file=${host.logFile}`,
    `xferlog_file=${join(hostDir, 'xferlog')}`,
    '',
  ];
  return lines.join('\n');
}

/** Prepares a host's dirs and config(s) and starts vsftpd in its namespace; returns the pids. */
export async function startVsftpd(host: LabHost, hostDir: string): Promise<number[]> {
  await writeSampleFiles(host.ftpRoot, host.name);
  const home = userRoot(hostDir);
  await mkdir(home, { recursive: true });
  await writeFile(join(home, 'readme.txt'), `uploads to ${host.name} land here\n`);
  const uid = Number((await runOk(['id', '-u', LAB_USER.name])).stdout.trim());
  const gid = Number((await runOk(['id', '-g', LAB_USER.name])).stdout.trim());
  await chown(home, uid, gid);
  await writeFile(host.vsftpdConf, vsftpdConfig(host, hostDir, false));
  const confs = [host.vsftpdConf];
  if (host.ip6) {
    const conf6 = host.vsftpdConf.replace(/\.conf$/, '6.conf');
    await writeFile(conf6, vsftpdConfig(host, hostDir, true));
    confs.push(conf6);
  }
  const pids: number[] = [];
  for (const conf of confs) {
    // `ip netns exec` execs vsftpd, so the child's pid is vsftpd's.
    const child = spawn('ip', ['netns', 'exec', host.netns, 'vsftpd', conf], {
      detached: true,
      stdio: 'ignore',
    });
    if (child.pid === undefined)
      throw new LabError('FTPSCOPE_ERR_LAB_COMMAND_FAILED', `cannot start vsftpd in ${host.netns}`);
    child.unref();
    pids.push(child.pid);
  }
  await waitListening(host.netns, confs.length);
  return pids;
}

/** Waits until port 21 is listening in the namespace (once per instance). */
async function waitListening(netns: string, instances: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await run(['ss', '-Hltn', 'sport = :21'], { netns });
    if (res.stdout.trim().split('\n').filter(Boolean).length >= instances) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new LabError(
    'FTPSCOPE_ERR_LAB_COMMAND_FAILED',
    `vsftpd did not start listening on port 21 in ${netns}`,
    'run the vsftpd command from the lab dir by hand to see its error',
  );
}
