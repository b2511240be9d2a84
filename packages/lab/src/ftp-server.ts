import type { LabHost } from './index.ts';

/** A variant of a host's server config: TLS (self-signed cert and key), another control port. */
export interface ServerVariant {
  tls?: { cert: string; key: string };
  /** Control port (default 21). */
  port?: number;
  /** Write the config and logs under this name instead of the host's own (an extra instance). */
  instance?: string;
}

/** Where one instance's files go inside the host dir. */
export interface InstanceFiles {
  /** The config file the server reads (the one a fix edits). */
  conf: string;
  /** The log ftpscope follows. */
  log: string;
}

/**
 * One FTP server the lab can run on a host. `write` renders the config (and nothing else), `start` runs the
 * server from whatever its config files say now (so a test can edit them, as an operator would, and
 * restart), returning the pids that stop it.
 */
export interface LabFtpServer {
  /** Binaries that must exist (checked before a lab is built). */
  binaries(): string[];
  files(hostDir: string, instance?: string): InstanceFiles;
  write(host: LabHost, hostDir: string, variant: ServerVariant): Promise<InstanceFiles>;
  start(host: LabHost, hostDir: string, variant: ServerVariant): Promise<number[]>;
}
