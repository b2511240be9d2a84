import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CollectorEvent, type DiagnosisView, PROTOCOL_VERSION } from '@ftpscope/shared';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildApp } from '../app.ts';
import { CollectorAuth } from '../ingest/collector-auth.ts';
import { health, NOW, ruleId, ruleset, session, settings } from './rules/window.fixture.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real collector connection: hello, then one batch, resolved when the hub acknowledged it. */
async function sendBatch(url: string, events: CollectorEvent[], at: number): Promise<void> {
  const ws = new WebSocket(url, { headers: { authorization: 'Bearer ctoken' } });
  cleanups.push(() => ws.close());
  await once(ws, 'open');
  ws.send(
    JSON.stringify({
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      host: 'ftp1',
      collectorVersion: 'test',
      kernel: '6.x',
      backends: ['iptables-nft'],
      capabilities: [],
      streamId: 'stream-0001',
      lastSeq: 0,
    }),
  );
  await once(ws, 'message');
  ws.send(JSON.stringify({ type: 'batch', seq: 1, sentAt: at, events }));
  const [ack] = await once(ws, 'message');
  expect(JSON.parse(String(ack))).toEqual({ type: 'ack', seq: 1 });
}

describe('diagnoses plugin in the hub', () => {
  it('turns an ingested hardened-no-helper batch into a stored, published and alerted diagnosis', async () => {
    const alerts: unknown[] = [];
    const hook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        alerts.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200).end();
      });
    });
    hook.listen(0, '127.0.0.1');
    await once(hook, 'listening');
    cleanups.push(() => void hook.close());
    const dir = mkdtempSync(join(tmpdir(), 'ftpscope-diag-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    let clock = NOW - 30_000;
    const app: FastifyInstance = await buildApp({
      db: join(dir, 'hub.db'),
      apiToken: 'atoken',
      collectorAuth: CollectorAuth.single('ctoken'),
      now: () => clock,
      retentionIntervalMs: 0,
      diagnosesIntervalMs: 0,
      alertWebhook: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`,
    });
    cleanups.push(() => app.close());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const published: string[] = [];
    app.hubEvents.on('diagnosis', (d) =>
      published.push(`${d.id}:${d.resolvedAt === null ? 'open' : 'resolved'}`),
    );

    const { rules, helperRules } = ruleset('hardened-no-helper');
    const policy = ruleId(rules, 'INPUT');
    const s = session({ helper: null, mode: 'unknown', startedAt: NOW - 25_000 });
    await sendBatch(
      `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/ws/collector`,
      [
        { kind: 'ruleset', at: NOW - 30_000, rules, diff: null },
        { kind: 'health', health: health({ at: NOW - 25_000 }, helperRules) },
        { kind: 'settings', settings: settings() },
        { kind: 'session', session: s },
        {
          kind: 'counters',
          at: NOW - 20_000,
          intervalMs: 1000,
          counters: [{ ruleId: policy, packets: 3, bytes: 180, dPackets: 3, dBytes: 180 }],
        },
      ],
      clock,
    );
    clock = NOW;
    const [opened] = app.diagnoses.evaluateAll(NOW);
    expect(opened).toMatchObject({ event: 'opened', diagnosis: { id: 'ftp1:ftp-helper-not-assigned' } });

    const res = await app.inject({
      url: '/api/diagnoses?active=true',
      headers: { authorization: 'Bearer atoken' },
    });
    const body = res.json() as DiagnosisView[];
    expect(body.map((d) => d.kind)).toEqual(['ftp-helper-not-assigned']);
    expect(body[0]?.explanation).toContain('3 packets on INPUT policy DROP');

    // Cause gone (drops older than the window): resolves after 30 s and 3 evaluations, alerts once each.
    for (const t of [NOW + 61_000, NOW + 75_000, NOW + 95_000]) app.diagnoses.evaluateAll(t);
    await app.diagnoses.webhook?.flush();
    expect(alerts.map((a) => (a as { event: string }).event)).toEqual(['opened', 'resolved']);
    expect(published).toEqual(['ftp1:ftp-helper-not-assigned:open', 'ftp1:ftp-helper-not-assigned:resolved']);
    const after = await app.inject({
      url: '/api/diagnoses?active=false',
      headers: { authorization: 'Bearer atoken' },
    });
    expect((after.json() as DiagnosisView[])[0]?.resolvedAt).not.toBeNull();
  });
});
