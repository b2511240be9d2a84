import type { FtpServerKind } from '@ftpscope/shared';
import { proftpd } from './proftpd/index.ts';
import { pureFtpd } from './pure-ftpd/index.ts';
import type { FtpServerDriver } from './types.ts';
import { vsftpd } from './vsftpd/index.ts';

/** Every FTP server ftpscope reads, by kind. Add a server: a folder with its driver, listed here. */
export const FTP_SERVERS: Record<FtpServerKind, FtpServerDriver> = {
  vsftpd,
  proftpd,
  'pure-ftpd': pureFtpd,
};

/** The driver whose binary this is (base name of /proc/PID/exe or argv[0]), or null. */
export function driverForBinary(path: string): FtpServerDriver | null {
  const base =
    path
      .split('/')
      .pop()
      ?.replace(/ \(deleted\)$/, '') ?? '';
  return Object.values(FTP_SERVERS).find((d) => d.binaries.includes(base)) ?? null;
}
