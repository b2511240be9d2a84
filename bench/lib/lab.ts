import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createLab, type Lab, type LabOptions } from '@ftpscope/lab';

const run = promisify(execFile);

/** Runs fn with a fresh lab and always removes it, also when fn throws. */
export async function withLab<T>(opts: LabOptions, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await createLab(opts);
  try {
    return await fn(lab);
  } finally {
    await lab.down();
  }
}

/** Runs argv inside a network namespace (no shell); throws with stderr on failure. */
export async function inNetns(netns: string, argv: string[], input?: string): Promise<string> {
  if (input !== undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'ftpscope-bench-'));
    try {
      const file = join(dir, 'input');
      await writeFile(file, input);
      return await inNetns(
        netns,
        argv.map((a) => (a === '@input' ? file : a)),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const { stdout } = await run('ip', ['netns', 'exec', netns, ...argv], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** Runs fn with a fresh, empty network namespace and always deletes it. */
export async function withNamespace<T>(name: string, fn: (netns: string) => Promise<T>): Promise<T> {
  await run('ip', ['netns', 'add', name]);
  try {
    return await fn(name);
  } finally {
    await run('ip', ['netns', 'del', name]).catch(() => {});
  }
}

/**
 * Inserts FTP control entries [from, to) into `host`'s conntrack table (`conntrack -R`): ESTABLISHED, ASSURED,
 * 1 h timeout, from the client's /24 (a new source address every 60,000 entries) to port 21.
 */
export async function insertControlEntries(
  lab: Lab,
  host: { netns: string; ip: string },
  from: number,
  to: number,
): Promise<void> {
  const net = lab.client.ip.split('.').slice(0, 3).join('.');
  const lines: string[] = [];
  for (let i = from; i < to; i++)
    lines.push(
      `-I -p tcp -s ${net}.${100 + Math.floor(i / 60_000)} -d ${host.ip} --sport ${1024 + (i % 60_000)} --dport 21 --state ESTABLISHED -t 3600 -u ASSURED`,
    );
  await inNetns(host.netns, ['conntrack', '-R', '@input'], `${lines.join('\n')}\n`);
}
