import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, type Lab } from '@ftpscope/lab';
import type { CollectorTokenCreated, HostSummary, SessionView } from '@ftpscope/shared';
import { gitCommit } from '@ftpscope/shared/build-info';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../src/layout.ts';
import type { BuiltPackage } from '../src/packages.ts';
import {
  api,
  buildTestPackages,
  Proc,
  presentedPin,
  SYSTEM_PATH,
  strangerPin,
  unpack,
  until,
  withoutNode,
  workDir,
} from './helpers.ts';

/**
 * The packages as an operator gets them: both built from this checkout, unpacked with dpkg-deb -x into temporary
 * roots, and run on a machine where `node` cannot be executed. The hub listens on a network address (so TLS,
 * with the certificate it makes itself); the collector runs inside a lab FTP host's namespace, dials the hub
 * over its management link with the pinned key, and a passive `get` in the lab shows up in the API.
 */

const { dir, cleanup } = workDir('pkg');
const apiToken = randomBytes(16).toString('hex');
const procs: Proc[] = [];
let lab: Lab | undefined;
let collector: BuiltPackage;
let hubPkg: BuiltPackage;
let collectorRoot: string;
let hubRoot: string;
let hub: Proc;
let hubUrl = '';
let plainUrl = '';

const hostName = 'ftp1';
const bin = (root: string, name: string) => join(root, `opt/${name}/bin/${name}`);

function start(argv: string[], env: Record<string, string> = {}): Proc {
  const p = new Proc(argv, env);
  procs.push(p);
  return p;
}

/** The packaged collector inside the lab host's namespace, as on a real FTP server, with no node. */
function startCollector(o: { fingerprint: string; token: string; spool: string }): Proc {
  const h = lab?.host(hostName);
  if (!h) throw new Error('no lab');
  // biome-ignore format: flag and value in pairs
  const argv = [
    bin(collectorRoot, 'ftpscope-collector'), '--hub', hubUrl, '--hub-fingerprint', o.fingerprint,
    '--name', hostName, '--vsftpd-conf', h.vsftpdConf, '--ftp-log', h.logFile, '--spool', o.spool,
  ];
  return start(['ip', 'netns', 'exec', h.netns, ...withoutNode(argv)], { FTPSCOPE_TOKEN: o.token });
}

beforeAll(async () => {
  ({ collector, hub: hubPkg } = await buildTestPackages(join(dir, 'dist')));
  collectorRoot = unpack(collector.deb, join(dir, 'collector-root'));
  hubRoot = unpack(hubPkg.deb, join(dir, 'hub-root'));
  lab = await createLab({ name: `pk${randomBytes(3).toString('hex')}`, hosts: 1, profile: 'healthy' });
  const gw = lab.host(hostName).mgmtGatewayIp;
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const plainPort = port + 1;
  hubUrl = `https://${gw}:${port}`;
  plainUrl = `http://127.0.0.1:${plainPort}`;
  // biome-ignore format: flag and value in pairs
  hub = start(withoutNode([
    bin(hubRoot, 'ftpscope-hub'), '--listen', `${gw}:${port}`, '--plain-listen', `127.0.0.1:${plainPort}`,
    '--db', join(dir, 'hub.db'), '--tls-dir', join(dir, 'tls'), '--log-level', 'info',
  ]), { FTPSCOPE_API_TOKEN: apiToken });
  await until('the packaged hub to answer', async () => {
    if (!hub.running) throw new Error(`hub exited:\n${hub.out}`);
    return (await fetch(`${plainUrl}/api/health`)).ok;
  });
}, 300_000);

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await lab?.down();
  cleanup();
});

describe('the packages', () => {
  it('declare the tools the collector runs, their conffiles, and carry no TypeScript or dev dependencies', () => {
    const field = (deb: string, f: string) =>
      execFileSync('dpkg-deb', ['-f', deb, f], { encoding: 'utf8' }).trim();
    const depends = field(collector.deb, 'Depends').split(/,\s*/);
    expect(depends).toEqual(
      expect.arrayContaining(['conntrack', 'iptables', 'nftables', 'tcpdump', 'libc6']),
    );
    expect(field(hubPkg.deb, 'Depends').split(/,\s*/)).toEqual(expect.arrayContaining(['openssl', 'libc6']));
    const conffiles = (deb: string) =>
      execFileSync('dpkg-deb', ['--info', deb, 'conffiles'], { encoding: 'utf8' });
    expect(conffiles(collector.deb)).toBe('/etc/ftpscope/collector.env\n');
    expect(conffiles(hubPkg.deb)).toBe('/etc/ftpscope/hub.env\n');
    for (const deb of [collector.deb, hubPkg.deb]) {
      const files = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' });
      expect(files).not.toMatch(/\.ts\n|\/tsx|typescript|vitest|esbuild|\.map\n/);
      // The .tar.gz holds the same tree.
      const tar = deb.replace(/\.deb$/, '.tar.gz');
      const names = (list: string) =>
        list
          .split('\n')
          .map((l) => l.split(/\s+/).slice(5).join(' '))
          .filter(Boolean)
          .sort();
      expect(names(execFileSync('tar', ['-tvzf', tar], { encoding: 'utf8' }))).toEqual(names(files));
    }
    // apt accepts both (control files valid, every dependency resolvable) without installing anything.
    for (const deb of [collector.deb, hubPkg.deb]) {
      const sim = execFileSync('apt-get', ['install', '--simulate', deb], { encoding: 'utf8' });
      expect(sim).toMatch(/^Inst ftpscope-(collector|hub) /m);
    }
    // Maintainer scripts, wrappers and the installer are valid sh.
    const scripts = ['postinst', 'prerm', 'postrm'].flatMap((s) => [
      join(collectorRoot, `opt/ftpscope-collector/share/maintainer/${s}`),
      join(hubRoot, `opt/ftpscope-hub/share/maintainer/${s}`),
    ]);
    scripts.push(bin(collectorRoot, 'ftpscope-collector'), bin(hubRoot, 'ftpscope-hub'));
    scripts.push(join(hubRoot, 'opt/ftpscope-hub/lib/install/install.sh'));
    for (const f of scripts) execFileSync('sh', ['-n', f]);
    const unit = readFileSync(join(collectorRoot, 'lib/systemd/system/ftpscope-collector.service'), 'utf8');
    expect(unit).toMatch(/^AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW$/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW$/m);
    expect(unit).toMatch(/^ExecStart=\/opt\/ftpscope-collector\/bin\/ftpscope-collector$/m);
  });

  it('print version and commit with no node installed', () => {
    const commit = gitCommit(ROOT);
    for (const [root, name] of [
      [collectorRoot, 'ftpscope-collector'],
      [hubRoot, 'ftpscope-hub'],
    ] as const) {
      const [file, ...args] = withoutNode([bin(root, name), '--version']);
      const out = execFileSync(file as string, args, { encoding: 'utf8', env: { PATH: SYSTEM_PATH } });
      expect(out.trim(), name).toBe(`${collector.version} (commit ${commit})`);
    }
  });

  it('the hub makes its own certificate and offers the collector package pinned to its key', async () => {
    const url = new URL(hubUrl);
    const pin = await presentedPin(url.hostname, Number(url.port));
    const logged = hub.logs().find((l) => typeof l.fingerprint === 'string');
    expect(logged).toMatchObject({ fingerprint: pin, certificate: join(dir, 'tls/cert.pem') });
    const got = join(dir, 'downloaded.deb');
    execFileSync('curl', [
      '-fsS',
      '--insecure',
      '--pinnedpubkey',
      pin,
      '-o',
      got,
      `${hubUrl}/downloads/collector/amd64`,
    ]);
    const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    expect(sha(got)).toBe(sha(collector.deb));
    const wrong = execFileSync(
      'sh',
      [
        '-c',
        'curl -fsS --insecure --pinnedpubkey "$1" "$2" -o /dev/null; echo $?',
        'sh',
        strangerPin(dir),
        `${hubUrl}/install.sh`,
      ],
      { encoding: 'utf8' },
    );
    expect(wrong.trim()).toBe('90');
  });

  it('the collector, with no node, reports a passive get in the lab to the hub over pinned TLS', async () => {
    const created = await api<CollectorTokenCreated>(plainUrl, apiToken, '/api/collector-tokens', {
      method: 'POST',
      body: JSON.stringify({ host: hostName, hubUrl }),
    });
    expect(created.install.fingerprint).toMatch(/^sha256\/\//);
    const c = startCollector({
      fingerprint: created.install.fingerprint ?? '',
      token: created.token,
      spool: join(dir, 'spool'),
    });
    await until('ftp1 to be connected', async () => {
      if (!c.running) throw new Error(`collector exited:\n${c.out}`);
      const hosts = await api<HostSummary[]>(plainUrl, apiToken, '/api/hosts');
      return hosts.some((h) => h.name === hostName && h.connected);
    });
    const get = await lab?.get(hostName, 'small.txt', { mode: 'passive' });
    expect(get?.ok, get?.stderr).toBe(true);
    const session = await until('the passive get in the API', async () => {
      const sessions = await api<SessionView[]>(plainUrl, apiToken, `/api/hosts/${hostName}/sessions`);
      return sessions.find((s) => s.mode === 'passive' && s.dataConnections.some((d) => d.established));
    });
    expect(session.helper).toBe('ftp');
    expect(session.client.ip).toBe(lab?.client.ip);
  });

  it('a collector given the wrong fingerprint sends nothing to the hub and names both keys', async () => {
    const upgrades = () =>
      hub.logs().filter((l) => (l.req as { url?: string } | undefined)?.url === '/ws/collector').length;
    const before = upgrades();
    // The collector of the previous test connected, so the counter does see upgrades.
    expect(before).toBeGreaterThan(0);
    const expected = strangerPin(dir);
    const url = new URL(hubUrl);
    const actual = await presentedPin(url.hostname, Number(url.port));
    const c = startCollector({
      fingerprint: expected,
      token: 'fsc_wrong-fingerprint-token',
      spool: join(dir, 'spool-wrong'),
    });
    const refused = await until('two refused attempts', () => {
      const r = c.logs().filter((l) => String(l.msg).startsWith('refusing the hub'));
      return r.length >= 2 && r;
    });
    expect(refused[0]).toMatchObject({ expected, actual });
    expect(String(refused[0]?.msg)).toContain('nothing was sent');
    expect(upgrades()).toBe(before);
    expect(hub.out).not.toContain('fsc_wrong-fingerprint-token');
  });
});
