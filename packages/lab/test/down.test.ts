import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createLab, destroyLab, LabError, openLab } from '../src/index.ts';
import { LABS_ROOT } from '../src/state.ts';
import { uniqueLabName, until } from './helpers.ts';

const run = promisify(execFile);
const cliPath = join(import.meta.dirname, '../src/cli.ts');
const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', cliPath, ...args]);

const names = [
  uniqueLabName('td'),
  uniqueLabName('tc'),
  uniqueLabName('tx'),
  uniqueLabName('ta'),
  uniqueLabName('tb'),
  uniqueLabName('ti'),
];
afterAll(async () => {
  for (const name of names) await destroyLab(name);
});

/** Everything on the machine that still belongs to a lab: namespaces, root links, processes, files. */
async function leftovers(name: string) {
  const netns = (await run('ip', ['netns', 'list'])).stdout
    .split('\n')
    .filter((l) => l.startsWith(`fs-${name}-`));
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout
    .split('\n')
    .filter((l) => l.includes(`fs-${name}-`));
  const processes: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(join(LABS_ROOT, name))) processes.push(`${pid}: ${cmd.replaceAll('\0', ' ')}`);
  }
  return { netns, links, processes, dir: existsSync(join(LABS_ROOT, name)) };
}
const nothing = { netns: [], links: [], processes: [], dir: false };

describe('lab down', () => {
  it('leaves no namespace, veth, vsftpd or file behind', async () => {
    const name = names[0] as string;
    const lab = await createLab({ name, hosts: 2, profile: 'healthy', ipv6: true });
    const before = await leftovers(name);
    expect(before.netns).toHaveLength(4);
    expect(before.links).toHaveLength(2);
    expect(before.processes.filter((p) => p.includes('vsftpd'))).toHaveLength(4);
    expect((await lab.ls('ftp2', { mode: 'passive' })).ok).toBe(true);
    await lab.down();
    expect(await leftovers(name)).toEqual(nothing);
    await lab.down();
  });

  it('works through the CLI: up, ftp, status, down', async () => {
    const name = names[1] as string;
    const up = await cli(['up', '--name', name, '--hosts', '1', '--profile', 'hardened-no-helper']);
    expect(up.stdout).toContain(`fs-${name}-ftp1`);
    const active = await cli(['ftp', 'ftp1', 'ls', '--name', name, '--active', '--client', 'curl']);
    expect(active.stdout).toContain('small.txt');
    const passive = cli(['ftp', 'ftp1', 'ls', '--name', name, '--passive', '--timeout', '3000']);
    await expect(passive).rejects.toMatchObject({ code: 1 });
    await cli(['profile', 'ftp1', 'healthy', '--name', name]);
    expect((await openLab(name)).host('ftp1').profile).toBe('healthy');
    expect((await cli(['ftp', 'ftp1', 'get', 'small.txt', '--name', name])).stderr).toContain('ok');
    expect((await cli(['status'])).stdout).toContain(`fs-${name}-ftp1`);
    await cli(['down', '--name', name]);
    expect(await leftovers(name)).toEqual(nothing);
  });

  it('cleans up a half-built lab (namespaces and links without state)', async () => {
    const name = names[2] as string;
    await run('ip', ['netns', 'add', `fs-${name}-ftp1`]);
    await run('ip', [
      'link',
      'add',
      `fs-${name}-m1`,
      'type',
      'veth',
      'peer',
      'name',
      'mgmt0',
      'netns',
      `fs-${name}-ftp1`,
    ]);
    await expect(createLab({ name, hosts: 1, profile: 'open' })).rejects.toMatchObject({
      code: 'FTPSCOPE_ERR_LAB_EXISTS',
    });
    expect((await cli(['status'])).stdout).toContain(`unregistered lab ${name}`);
    expect((await leftovers(name)).netns).toHaveLength(1);
    await destroyLab(name);
    expect(await leftovers(name)).toEqual(nothing);
  });

  it('gives labs created at the same time distinct address blocks', async () => {
    const [a, b] = await Promise.all([
      createLab({ name: names[3] as string, hosts: 1, profile: 'open' }),
      createLab({ name: names[4] as string, hosts: 1, profile: 'open' }),
    ]);
    expect(a?.client.ip).not.toBe(b?.client.ip);
    expect(a?.host('ftp1').mgmtGatewayIp).not.toBe(b?.host('ftp1').mgmtGatewayIp);
    expect((await a?.ls('ftp1', { mode: 'passive' }))?.ok).toBe(true);
    expect((await b?.ls('ftp1', { mode: 'passive' }))?.ok).toBe(true);
    await Promise.all([a?.down(), b?.down()]);
  });

  it('removes a lab whose `up` is interrupted with Ctrl-C', async () => {
    const name = names[5] as string;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cliPath, 'up', '--name', name, '--hosts', '3'],
      {
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Interrupt as soon as the lab is registered, i.e. while namespaces are being built.
    await until('the lab to be registered', () => existsSync(join(LABS_ROOT, name, 'lab.json')), 30_000, 5);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(await leftovers(name)).toEqual(nothing);
  });

  it('refuses to run without root, saying so', async () => {
    const res = await run(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '--import',
        'tsx',
        cliPath,
        'up',
        '--name',
        'nr',
      ],
      { cwd: import.meta.dirname },
    ).catch((e: { stderr: string; code: number }) => e);
    expect(res).toMatchObject({ code: 1 });
    expect((res as { stderr: string }).stderr).toMatch(/must run as root.*FTPSCOPE_ERR_LAB_NOT_ROOT/);
  });

  it('rejects bad input with clear errors', async () => {
    await expect(createLab({ name: 'Bad_Name', hosts: 1, profile: 'open' })).rejects.toThrow(/bad lab name/);
    await expect(createLab({ name: 'ok', hosts: 0, profile: 'open' })).rejects.toThrow(/bad host count 0/);
    await expect(createLab({ name: 'ok', hosts: 1, profile: 'nope' as never })).rejects.toThrow(
      /unknown profile/,
    );
    await expect(openLab('zzznone')).rejects.toBeInstanceOf(LabError);
    await expect(openLab('zzznone')).rejects.toMatchObject({ code: 'FTPSCOPE_ERR_LAB_NOT_FOUND' });
  });
});
