import type { ServerVariant } from './ftp-server.ts';

/**
 * The lab's programmatic API, used by integration tests, benchmarks and `pnpm demo`.
 * (Contract agreed before implementation: keep these names; add, don't rename.)
 */

/** The FTP servers a lab host can run (vsftpd is the default; the others come from scripts/setup-ftp-servers.sh). */
export type FtpServerKind = 'vsftpd' | 'proftpd' | 'pure-ftpd';

/** Address translation in front of the hosts: none, a router doing 1:1 NAT without an FTP helper, or with one. */
export type NatMode = 'none' | 'plain' | 'helper';

/** Firewall profiles a lab host can run; see profiles.ts for what each one does. */
export type Profile =
  | 'open'
  | 'healthy'
  | 'hardened-no-helper'
  | 'no-related'
  | 'nft-healthy'
  | ManagedProfile;

/** Profiles whose firewall a real manager owns, in a private mount namespace (managers.ts). */
export type ManagedProfile =
  | 'firewalld-port-only'
  | 'firewalld-ftp-service'
  | 'ufw-port-only'
  | 'ufw-healthy'
  | 'iptables-services-no-helper'
  | 'netfilter-persistent-no-helper'
  | 'nftables-service-no-helper';

export interface LabHost {
  /** Short host name, e.g. "ftp1"; unique in its lab. */
  name: string;
  /** Network namespace running vsftpd, e.g. "fs-<lab>-ftp1". */
  netns: string;
  /** Address clients connect to, from 198.18.0.0/15: on the lab bridge, or behind NAT the router's public one. */
  ip: string;
  /** Behind NAT: the host's own address on its link to the router (198.19.n.x), which the router DNATs `ip` to. */
  insideIp: string | null;
  /** IPv6 address on the lab bridge, when the lab has IPv6. */
  ip6: string | null;
  /** Address of the management link as seen from the root namespace (the hub/collector side). */
  mgmtIp: string;
  /** The root-namespace address the host reaches over its management link (where a hub listens). */
  mgmtGatewayIp: string;
  /** The FTP server the host runs. */
  server: FtpServerKind;
  /** The config file the server reads (what a fix edits): vsftpd.conf, proftpd.conf or pure-ftpd.conf. */
  serverConf: string;
  /** vsftpd's config path (written only when the host runs vsftpd; prefer serverConf). */
  vsftpdConf: string;
  /** The log ftpscope follows: vsftpd.log (protocol + transfers), ProFTPD's ExtendedLog, Pure-FTPd's syslog file. */
  logFile: string;
  /** Anonymous FTP root with files to get. */
  ftpRoot: string;
  passiveRange: [number, number];
  /** Local user with write access. */
  user: { name: string; password: string };
  profile: Profile;
  /** Holder of the manager's private mount namespace (managed profiles; pass as --manager-pid), else null. */
  managerPid: number | null;
}

export interface FtpResult {
  ok: boolean;
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface FtpOptions {
  mode: 'passive' | 'active';
  /** Which client to run; default lftp. */
  client?: 'lftp' | 'curl';
  /** Log in as the lab's local user instead of anonymous. */
  asUser?: boolean;
  /** Use the host's IPv6 address. */
  ipv6?: boolean;
  /** Give up after this many ms (a failing data channel hangs otherwise); default 8000. */
  timeoutMs?: number;
}

export interface Lab {
  name: string;
  dir: string;
  hosts: LabHost[];
  client: { netns: string; ip: string; ip6: string | null };
  /** The NAT router in front of the hosts (null without NAT). */
  router: { netns: string; helper: boolean } | null;
  /**
   * The lab's stand-ins for private networks (behind NAT: the hosts' inside 198.19.n.0/24), for the hub's
   * --private-nets: labs use 198.18.0.0/15 only, never RFC 1918. Empty without NAT.
   */
  privateNets: string[];
  host(name: string): LabHost;
  /** Replace a host's firewall with a profile (a "hardening change"). */
  setProfile(host: string, profile: Profile): Promise<void>;
  /** Run a command inside a host's (or the client's: host "client") namespace, no shell. */
  exec(host: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Log in and send NOOP, no data connection: tests the control channel only. */
  login(host: string, opts: FtpOptions): Promise<FtpResult>;
  ls(host: string, opts: FtpOptions): Promise<FtpResult>;
  get(host: string, file: string, opts: FtpOptions): Promise<FtpResult>;
  put(host: string, file: string, opts: FtpOptions): Promise<FtpResult>;
  /** Keep `sessions` concurrent sessions transferring for `seconds`. */
  load(
    host: string,
    opts: FtpOptions & { sessions: number; seconds: number },
  ): Promise<{ transfers: number; failures: number }>;
  /** Restart a host's FTP server from its config files as they are now (after a test edited them, as an operator would). */
  restartServer(host: string): Promise<void>;
  /** Rewrite a host's server config for a variant (TLS, another port) and restart it; `{}` is the plain config. */
  reconfigureServer(host: string, variant: ServerVariant): Promise<void>;
  /** Start a second server instance on a host (another port, or TLS), with its own config and log. */
  startExtraServer(
    host: string,
    variant: ServerVariant & { instance: string },
  ): Promise<{ conf: string; log: string; stop(): Promise<void> }>;
  /** Run argv in a managed host's manager namespaces (its private /etc and /run), no shell. */
  managerExec(host: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Read / write a file of a managed host's private /etc. */
  readManagerFile(host: string, path: string): Promise<string>;
  writeManagerFile(host: string, path: string, text: string): Promise<void>;
  /** Empty the firewall and load the saved configuration as the manager's service does at boot. */
  rebootManager(host: string): Promise<void>;
  /** Remove every namespace, link, process and file of this lab. Idempotent. */
  down(): Promise<void>;
}

export interface LabOptions {
  /** Unique lab name ([a-z0-9]{1,8}); tests use their own so parallel runs never collide. */
  name: string;
  hosts: number;
  profile: Profile;
  ipv6?: boolean;
  /** The FTP server every host runs; default vsftpd. */
  server?: FtpServerKind;
  /** A router with 1:1 NAT in front of the hosts ('plain': no FTP helper on it, like a cloud NAT gateway); default none. IPv4 only. */
  nat?: NatMode;
  /** Where the lab keeps its configs, logs and files; default /tmp/ftpscope-lab/<name>. */
  dir?: string;
  /** Aborting stops creation and removes what was built (the CLI wires Ctrl-C to it). */
  signal?: AbortSignal;
}

export { LabError, type LabErrorCode } from './errors.ts';
export type { ServerVariant } from './ftp-server.ts';
export { createLab, destroyLab, labStatus, listLabs, openLab, orphanLabs } from './lab.ts';
export { MANAGED_PROFILES } from './managed-profiles.ts';
export { PROFILES } from './profiles.ts';
export { FTP_SERVER_KINDS } from './servers.ts';
export { createWorkstation, type Workstation } from './workstation.ts';
