import { readFile } from 'node:fs/promises';
import { parseVsftpdConf, type VsftpdConfig } from './vsftpd-conf-parse.ts';

/** Where Debian and Red Hat put vsftpd.conf. */
export const VSFTPD_CONF_PATHS = ['/etc/vsftpd.conf', '/etc/vsftpd/vsftpd.conf'];

/** Reads the given vsftpd.conf, or the first one found at the usual paths; null when there is none. */
export async function readVsftpdConfig(
  path: string | null,
): Promise<{ config: VsftpdConfig | null; problem: string | null }> {
  for (const p of path ? [path] : VSFTPD_CONF_PATHS) {
    try {
      return { config: parseVsftpdConf(await readFile(p, 'utf8'), p), problem: null };
    } catch (e) {
      if (path) return { config: null, problem: `cannot read vsftpd config ${p}: ${(e as Error).message}` };
    }
  }
  return { config: null, problem: null };
}
