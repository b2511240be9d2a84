import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyLab } from '@ftpscope/lab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, until } from './reliability-helpers.ts';

const LAB = `dm${process.pid % 100000}`;

/** The namespaces a lab of this name still has. */
function namespacesOf(lab: string): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.startsWith(`fs-${lab}-`));
}

describe('pnpm demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ftpscope-demo-'));
  let child: ChildProcess;
  let port = 0;
  let out = '';

  beforeAll(async () => {
    port = await freePort();
    child = spawn('pnpm', ['demo'], {
      cwd: ROOT,
      detached: true, // its own process group, so teardown reaches pnpm, the hub and the collectors
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        FTPSCOPE_DATA_DIR: dataDir,
        FTPSCOPE_PORT: String(port),
        FTPSCOPE_DEMO_LAB: LAB,
        FTPSCOPE_LOG_LEVEL: 'warn',
      },
    });
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
  });

  afterAll(async () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL'); // whatever of the group is still running
    } catch {
      // ESRCH: the whole group has already exited.
    }
    await destroyLab(LAB);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows three live hosts and diagnoses exactly the outage host within a minute; Ctrl-C removes the lab', async () => {
    const { apiToken } = await until(
      'the demo to print its URL',
      async () =>
        out.includes('ftpscope is running')
          ? (JSON.parse(readFileSync(join(dataDir, 'tokens.json'), 'utf8')) as { apiToken: string })
          : undefined,
      90_000,
    );
    const get = async <T>(path: string): Promise<T> => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        headers: { authorization: `Bearer ${apiToken}` },
      });
      if (!res.ok) throw new Error(`${path}: ${res.status}`);
      return (await res.json()) as T;
    };
    type Host = { name: string; connected: boolean };
    const hosts = await until(
      'three connected hosts',
      async () => {
        const list = await get<Host[]>('/api/hosts');
        return list.filter((h) => h.connected).length === 3 ? list : undefined;
      },
      60_000,
    );
    expect(hosts.map((h) => h.name).sort()).toEqual(['ftp1', 'ftp2', 'ftp3']);
    const diagnoses = await until(
      'the outage host to be diagnosed',
      async () => {
        const list = await get<{ host: string; kind: string }[]>('/api/diagnoses?active=true');
        return list.length > 0 ? list : undefined;
      },
      60_000,
    );
    // Traffic ran on the healthy hosts too: once each has finished a few more sessions since, they must still
    // raise nothing.
    const since = Date.now();
    const finishedSince = async (h: string) =>
      (await get<{ endedAt: string | null }[]>(`/api/hosts/${h}/sessions?limit=200`)).filter(
        (s) => s.endedAt !== null && Date.parse(s.endedAt) >= since,
      ).length;
    await until(
      'three more finished sessions on each healthy host',
      async () => (await finishedSince('ftp1')) >= 3 && (await finishedSince('ftp3')) >= 3,
      60_000,
    );
    const settled = await get<{ host: string; kind: string }[]>('/api/diagnoses?active=true');
    expect(diagnoses.map((d) => d.host)).toContain('ftp2');
    expect(settled.map((d) => `${d.host}:${d.kind}`)).toEqual(['ftp2:ftp-helper-not-assigned']);
    const sessions = await get<{ helper: string | null }[]>('/api/hosts/ftp1/sessions?limit=50');
    expect(sessions.some((s) => s.helper === 'ftp')).toBe(true);

    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    if (child.pid) process.kill(-child.pid, 'SIGINT');
    await exited;
    await until('the demo lab to be removed', () => namespacesOf(LAB).length === 0, 20_000);
  }, 240_000);
});
