import type { LabFtpServer } from './ftp-server.ts';
import type { FtpServerKind } from './index.ts';
import { labProftpd } from './proftpd.ts';
import { labPureFtpd } from './pure-ftpd.ts';
import { labVsftpd } from './vsftpd.ts';

/** The FTP servers a lab host can run; vsftpd is the default. */
export const LAB_SERVERS: Record<FtpServerKind, LabFtpServer> = {
  vsftpd: labVsftpd,
  proftpd: labProftpd,
  'pure-ftpd': labPureFtpd,
};

/** Every server kind, in the order the README lists them. */
export const FTP_SERVER_KINDS = Object.keys(LAB_SERVERS) as FtpServerKind[];

/** True for a known server kind. */
export const isServerKind = (s: string): s is FtpServerKind => s in LAB_SERVERS;
