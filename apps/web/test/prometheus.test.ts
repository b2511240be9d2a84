import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLab, type Lab } from '@ftpscope/lab';
import type { HostSummary, RuleView } from '@ftpscope/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, Child, COLLECTOR_MAIN, freePort, HUB_MAIN, until, workDir } from './reliability-helpers.ts';

/**
 * Prometheus as its users run it: Debian's prometheus (scripts/setup.sh unpacks it) scrapes the hub's /metrics
 * over HTTPS with the API token, using the scrape config documented in docs/monitoring/prometheus.yml, while a
 * real collector watches a lab host; a drop counter and a session gauge are queried back through PromQL.
 */

/** Where scripts/setup.sh unpacks Debian's prometheus package (no service is installed or started). */
const PROM_ROOT = '/opt/ftpscope-test/prometheus/usr/bin';
const { dir, cleanup } = workDir('prom');
const apiToken = randomBytes(16).toString('hex');
const collectorToken = randomBytes(16).toString('hex');
const children: Child[] = [];
let prometheus: ChildProcess | undefined;
let lab: Lab | undefined;
let plainUrl = '';
let promUrl = '';

/** The documented scrape config with this run's address, token file and certificate filled in. */
function scrapeConfig(target: string, tokenFile: string, caFile: string): string {
  const doc = readFileSync(join(import.meta.dirname, '../../../docs/monitoring/prometheus.yml'), 'utf8');
  return doc
    .replace('hub.example.com:8443', target)
    .replace('/etc/prometheus/ftpscope-api-token', tokenFile)
    .replace('/etc/prometheus/ftpscope-hub.pem', caFile)
    .replace(/server_name: .*/, 'server_name: 127.0.0.1')
    .replace(/scrape_interval: .*/, 'scrape_interval: 1s');
}

async function query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data: { result: never[] } };
  if (body.status !== 'success') throw new Error(`PromQL ${promql}: ${JSON.stringify(body)}`);
  return body.data.result;
}

beforeAll(async () => {
  for (const bin of ['prometheus', 'promtool']) {
    if (!existsSync(join(PROM_ROOT, bin)))
      throw new Error(`${PROM_ROOT}/${bin} missing: run scripts/setup.sh`);
  }
  lab = await createLab({ name: `pm${randomBytes(3).toString('hex')}`, hosts: 1, profile: 'healthy' });
  const [port, plainPort, promPort] = [await freePort(), await freePort(), await freePort()];
  plainUrl = `http://127.0.0.1:${plainPort}`;
  // biome-ignore format: flag and value in pairs
  const hub = new Child(HUB_MAIN, [
    '--listen', `127.0.0.1:${port}`, '--tls', 'on', '--tls-dir', join(dir, 'tls'),
    '--plain-listen', `127.0.0.1:${plainPort}`, '--db', join(dir, 'hub.db'),
  ], { FTPSCOPE_API_TOKEN: apiToken, FTPSCOPE_COLLECTOR_TOKEN: collectorToken, FTPSCOPE_LOG_LEVEL: 'warn' });
  children.push(hub);
  await until('the hub', async () => (await fetch(`${plainUrl}/api/health`)).ok, 30_000);
  const h = lab.host('ftp1');
  // biome-ignore format: flag and value in pairs
  children.push(new Child(COLLECTOR_MAIN, [
    '--hub', `ws://127.0.0.1:${plainPort}`, '--netns', h.netns, '--name', 'ftp1', '--vsftpd-conf', h.vsftpdConf,
    '--ftp-log', h.logFile, '--spool', join(dir, 'spool'),
  ], { FTPSCOPE_TOKEN: collectorToken, FTPSCOPE_LOG_LEVEL: 'warn' }));
  await until('ftp1 connected', async () =>
    (await api<HostSummary[]>(plainUrl, '/api/hosts', apiToken)).some(
      (x) => x.name === 'ftp1' && x.connected,
    ),
  );

  const tokenFile = join(dir, 'api-token');
  writeFileSync(tokenFile, apiToken, { mode: 0o600 });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, scrapeConfig(`127.0.0.1:${port}`, tokenFile, join(dir, 'tls/cert.pem')));
  const check = spawnSync(join(PROM_ROOT, 'promtool'), ['check', 'config', config], { encoding: 'utf8' });
  expect(check.status, check.stdout + check.stderr).toBe(0);
  promUrl = `http://127.0.0.1:${promPort}`;
  // biome-ignore format: flag and value in pairs
  prometheus = spawn(join(PROM_ROOT, 'prometheus'), [
    `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn',
  ], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  await until(
    'prometheus to scrape the hub',
    async () => {
      const res = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as {
        data: { activeTargets: { health: string; lastError: string }[] };
      };
      const t = res.data.activeTargets[0];
      if (t?.lastError) throw new Error(t.lastError);
      return t?.health === 'up';
    },
    60_000,
  );
}, 180_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus?.once('exit', r));
    prometheus.kill('SIGTERM');
    await exited;
  }
  for (const c of children.reverse()) await c.stop();
  await lab?.down();
  cleanup();
}, 60_000);

describe('Prometheus scrapes /metrics', () => {
  it('promtool check metrics reports nothing on the exposition', async () => {
    const res = await fetch(`${plainUrl}/metrics`, { headers: { authorization: `Bearer ${apiToken}` } });
    const text = await res.text();
    expect(text).toContain('ftpscope_sessions_active{host="ftp1"}');
    const lint = spawnSync(join(PROM_ROOT, 'promtool'), ['check', 'metrics'], {
      input: text,
      encoding: 'utf8',
    });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });

  it('a policy drop counter in PromQL equals what the hub counted', async () => {
    if (!lab) throw new Error('no lab');
    // A SYN to a closed port meets the INPUT policy DROP of the healthy profile (and is retransmitted).
    await lab.exec('client', ['curl', '-s', '--max-time', '2', `http://${lab.host('ftp1').ip}:2222/`]);
    const hubDrops = async () =>
      (await api<RuleView[]>(plainUrl, '/api/hosts/ftp1/rules', apiToken))
        .filter((r) => r.verdict === 'drop')
        .reduce((n, r) => n + r.packets, 0);
    const seen = await until(
      'the same drop count in Prometheus as in the hub',
      async () => {
        const n = await hubDrops();
        const [r] = await query('sum(ftpscope_rule_packets_total{host="ftp1",verdict="drop"})');
        return n > 0 && Number(r?.value[1]) === n && n;
      },
      30_000,
    );
    expect(seen).toBeGreaterThan(0);
    const [policy] = await query('ftpscope_rule_packets_total{host="ftp1",chain="INPUT",policy="true"}');
    expect(Number(policy?.value[1])).toBeGreaterThan(0);
  });

  it('the active sessions gauge follows an open FTP session', async () => {
    if (!lab) throw new Error('no lab');
    const ip = lab.host('ftp1').ip;
    // An lftp that logs in, lists, then keeps its control connection open while it sleeps.
    const client = lab.exec('client', ['timeout', '15', 'lftp', '-e', 'ls; sleep 8; bye', `ftp://${ip}`]);
    await until(
      'an active session in the hub',
      async () => (await api<HostSummary>(plainUrl, '/api/hosts/ftp1', apiToken)).activeSessions === 1,
    );
    const value = await until(
      'ftpscope_sessions_active = 1 in Prometheus',
      async () => {
        const [r] = await query('ftpscope_sessions_active{host="ftp1"}');
        return Number(r?.value[1]) === 1 && r;
      },
      20_000,
    );
    expect(value.metric).toMatchObject({ host: 'ftp1', job: 'ftpscope' });
    await client;
  });

  it('every query of the shipped Grafana dashboard runs and returns data', async () => {
    const dash = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../../docs/monitoring/grafana-dashboard.json'), 'utf8'),
    ) as { panels: { title: string; targets: { expr: string }[] }[] };
    expect(dash.panels.length).toBeGreaterThan(5);
    for (const panel of dash.panels) {
      for (const t of panel.targets) {
        const result = await query(t.expr.replaceAll('$host', '.*'));
        expect(result.length, `${panel.title}: ${t.expr}`).toBeGreaterThan(0);
      }
    }
  });
});
