import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CollectorEvent,
  type DiagnosisView,
  PROTOCOL_VERSION,
  type RulesetChangeView,
  type TimelineItem,
} from '@ftpscope/shared';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildApp } from '../app.ts';
import { CollectorAuth } from '../ingest/collector-auth.ts';
import { health, NOW, ruleId, ruleset, session, settings } from './rules/window.fixture.ts';
import type { AlertBody } from './webhook.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real collector connection: hello, then batch `seq`, resolved when the hub acknowledged it. */
async function sendBatch(url: string, events: CollectorEvent[], at: number, seq = 1): Promise<void> {
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
      lastSeq: seq - 1,
    }),
  );
  await once(ws, 'message');
  ws.send(JSON.stringify({ type: 'batch', seq, sentAt: at, events }));
  const [ack] = await once(ws, 'message');
  expect(JSON.parse(String(ack))).toEqual({ type: 'ack', seq });
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
    const [opened] = await app.diagnoses.evaluateAll(NOW);
    const firstId = `ftp1:ftp-helper-not-assigned@${NOW}`;
    expect(opened).toMatchObject({ event: 'opened', diagnosis: { id: firstId } });

    const res = await app.inject({
      url: '/api/diagnoses?active=true',
      headers: { authorization: 'Bearer atoken' },
    });
    const body = res.json() as DiagnosisView[];
    expect(body.map((d) => d.kind)).toEqual(['ftp-helper-not-assigned']);
    expect(body[0]?.explanation).toContain('3 packets on INPUT policy DROP');

    // Cause gone (drops older than the window): resolves after 30 s and 3 evaluations, alerts once each.
    for (const t of [NOW + 61_000, NOW + 75_000, NOW + 95_000]) await app.diagnoses.evaluateAll(t);
    await app.alertOutbox?.flush();
    expect(alerts.map((a) => (a as { event: string }).event)).toEqual(['opened', 'resolved']);
    expect(published).toEqual([`${firstId}:open`, `${firstId}:resolved`]);

    // The problem comes back ("FTP stopped working again at 15:00"): a new occurrence, its own row.
    const back = NOW + 200_000;
    clock = back;
    await sendBatch(
      `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/ws/collector`,
      [
        { kind: 'health', health: health({ at: back - 5000 }, helperRules) },
        { kind: 'session', session: { ...s, id: 'again', startedAt: back - 5000 } },
        {
          kind: 'counters',
          at: back - 2000,
          intervalMs: 1000,
          counters: [{ ruleId: policy, packets: 6, bytes: 360, dPackets: 3, dBytes: 180 }],
        },
      ],
      clock,
      2,
    );
    const secondId = `ftp1:ftp-helper-not-assigned@${back}`;
    expect(await app.diagnoses.evaluateAll(back)).toMatchObject([
      { event: 'opened', diagnosis: { id: secondId } },
    ]);
    for (const t of [back + 61_000, back + 75_000, back + 95_000]) await app.diagnoses.evaluateAll(t);
    clock = back + 95_000;
    await app.alertOutbox?.flush();
    expect(alerts.map((a) => `${(a as AlertBody).event} ${(a as AlertBody).diagnosis.id}`)).toEqual([
      `opened ${firstId}`,
      `resolved ${firstId}`,
      `opened ${secondId}`,
      `resolved ${secondId}`,
    ]);

    // Both occurrences stay reviewable, newest first, in the list and on the client's timeline.
    const past = await app.inject({
      url: '/api/diagnoses?active=false',
      headers: { authorization: 'Bearer atoken' },
    });
    expect((past.json() as DiagnosisView[]).map((d) => [d.id, d.firstSeen, d.resolvedAt])).toEqual([
      [secondId, new Date(back).toISOString(), new Date(back + 95_000).toISOString()],
      [firstId, new Date(NOW).toISOString(), new Date(NOW + 95_000).toISOString()],
    ]);
    const timeline = await app.inject({
      url: `/api/timeline?client=${s.client.ip}`,
      headers: { authorization: 'Bearer atoken' },
    });
    expect(timeline.statusCode).toBe(200);
    const items = (timeline.json() as TimelineItem[]).filter((i) => i.type === 'diagnosis');
    expect(items.map((i) => i.ref).sort()).toEqual([firstId, secondId].sort());
  });

  it('links a ruleset change by the id the API and the Drops view use (one id per change)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftpscope-diag-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const app: FastifyInstance = await buildApp({
      db: join(dir, 'hub.db'),
      apiToken: 'atoken',
      collectorAuth: CollectorAuth.single('ctoken'),
      now: () => NOW,
      retentionIntervalMs: 0,
      diagnosesIntervalMs: 0,
    });
    cleanups.push(() => app.close());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { rules, helperRules } = ruleset('hardened-no-helper');
    const policy = ruleId(rules, 'INPUT');
    const diff = {
      added: ['-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT'],
      removed: [],
      moved: [],
      policyChanges: [{ family: 'ipv4', table: 'filter', chain: 'INPUT', from: 'ACCEPT', to: 'DROP' }],
    };
    const drops = (at: number, total: number) => ({
      kind: 'counters' as const,
      at,
      intervalMs: 1000,
      counters: [{ ruleId: policy, packets: total, bytes: total * 60, dPackets: 1, dBytes: 60 }],
    });
    await sendBatch(
      `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/ws/collector`,
      [
        { kind: 'ruleset', at: NOW - 120_000, rules, diff: null },
        { kind: 'counters', at: NOW - 119_000, intervalMs: 1000, counters: [] },
        { kind: 'health', health: health({ at: NOW - 25_000 }, helperRules) },
        { kind: 'ruleset', at: NOW - 30_000, rules, diff, changeId: 'rc-0123456789abcdef' },
        ...Array.from({ length: 10 }, (_, i) => drops(NOW - 20_000 + i * 1000, i + 1)),
      ],
      NOW,
    );
    await app.diagnoses.evaluateAll(NOW);
    const active = app.diagnoses.active('ftp1');
    const link = active
      .find((d) => d.kind === 'drops-after-ruleset-change')
      ?.evidence.find((e) => e.type === 'change');
    const res = await app.inject({
      url: `/api/hosts/ftp1/ruleset-changes?from=${new Date(NOW - 60_000).toISOString()}`,
      headers: { authorization: 'Bearer atoken' },
    });
    const changes = res.json() as RulesetChangeView[];
    expect(changes.map((c) => c.id)).toEqual(['rc-0123456789abcdef']);
    // The Drops view selects the change whose id equals the link's `change` parameter.
    expect(link?.id).toBe(changes[0]?.id);
  });
});
