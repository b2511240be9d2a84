import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ManagerFile } from '@ftpscope/shared';

/** Config files of the managers ftpscope knows, by the manager that owns them. */
export const MANAGER_PATHS = {
  firewalld: ['/etc/firewalld/firewalld.conf'],
  ufw: ['/etc/ufw/ufw.conf', '/etc/default/ufw', '/etc/ufw/before.rules', '/etc/ufw/before6.rules'],
  'iptables-services': [
    '/etc/sysconfig/iptables',
    '/etc/sysconfig/ip6tables',
    '/etc/sysconfig/iptables-config',
  ],
  'netfilter-persistent': ['/etc/iptables/rules.v4', '/etc/iptables/rules.v6'],
  'nftables-service': ['/etc/nftables.conf'],
} as const;

/** Settings the fixes and the detection read from shell-style files. */
const VARS = ['ENABLED', 'IPTABLES_MODULES', 'IPT_MODULES', 'FirewallBackend', 'DefaultZone', 'IPV6'];

/** Files as read; an unreadable file counts as existing (EACCES says it is there) and is listed with the reason. */
export interface ManagerFiles {
  files: ManagerFile[];
  unreadable: Array<{ path: string; reason: string }>;
}

/** The problem line for a file the collector may not read. */
export function unreadableProblem(path: string, reason: string, root: string): string {
  return `cannot read ${path}${root ? ` (under ${root})` : ''}: ${reason}; run the collector as root or give it read access (setfacl -m u:USER:r ${path}); the fix is then written without the file's contents`;
}

const HELPER = /-j CT --helper ftp\b|ct helper set|type "ftp"/;

/** Tables an iptables-save file (`*raw`) or an nft file (`table inet filter {`) holds. */
export function tablesOf(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const xt = /^\*(\w+)\s*$/.exec(line.trim());
    if (xt?.[1]) out.add(xt[1]);
    const nft = /^\s*table\s+(?:(ip|ip6|inet|arp|bridge|netdev)\s+)?([\w.-]+)\s*\{/.exec(line);
    if (nft?.[2]) out.add(`${nft[1] ?? 'ip'} ${nft[2]}`);
  }
  return [...out];
}

/** KEY=value (quotes removed) of the settings the fixes use. */
export function varsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_]\w*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m?.[1] && VARS.includes(m[1])) out[m[1]] = (m[2] ?? '').replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

/** `include "…"` targets of an nft file (globs in the last path element are expanded by the reader). */
export function includesOf(text: string): string[] {
  return [...text.matchAll(/^\s*include\s+"([^"]+)"/gm)].map((m) => m[1] as string);
}

function describe(path: string, text: string): ManagerFile {
  return { path, exists: true, tables: tablesOf(text), assignsHelper: HELPER.test(text), vars: varsOf(text) };
}

/**
 * Reads the managers' files under `root` ('' for this machine, `/proc/PID/root` for another mount namespace),
 * following nftables includes one level deep.
 */
export async function readManagerFiles(root: string): Promise<ManagerFiles> {
  const files: ManagerFile[] = [];
  const unreadable: ManagerFiles['unreadable'] = [];
  const read = async (path: string): Promise<string | null> => {
    try {
      return await readFile(join(root, path), 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const missing = code === 'ENOENT' || code === 'ENOTDIR';
      files.push({ path, exists: !missing, tables: [], assignsHelper: false, vars: {} });
      if (!missing) unreadable.push({ path, reason: code ?? (e as Error).message });
      return null;
    }
  };
  for (const path of Object.values(MANAGER_PATHS).flat()) {
    const text = await read(path);
    if (text === null) continue;
    files.push(describe(path, text));
    if (path === '/etc/nftables.conf') {
      for (const inc of includesOf(text)) {
        for (const p of await expand(root, inc)) {
          const t = await read(p);
          if (t !== null) files.push(describe(p, t));
        }
      }
    }
  }
  return { files, unreadable };
}

/** Expands `*` in the last element of an include path (nft's own glob rule for includes). */
async function expand(root: string, pattern: string): Promise<string[]> {
  if (!pattern.includes('*')) return [pattern];
  const dir = dirname(pattern);
  const re = new RegExp(
    `^${basename(pattern)
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')}$`,
  );
  const names = await readdir(join(root, dir)).catch(() => [] as string[]);
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => join(dir, n));
}
