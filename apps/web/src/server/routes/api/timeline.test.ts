import type { CollectorEvent, RuleDef, TimelineItem } from '@ftpscope/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TIMELINE_MAX_ROWS as MAX_ROWS } from '../../store/index.ts';
import { batch, CLIENT_IP, counters, hello, POLICY_ID, rules, session } from '../../testing/events.ts';
import { API_TOKEN, COLLECTOR_TOKEN, listeningApp, TestSocket } from '../../testing/harness.ts';
import { ENGINES, useEngine } from '../../testing/store-engines.ts';

const T = Date.parse('2026-03-01T15:00:00.000Z');
const auth = { authorization: `Bearer ${API_TOKEN}` };
const ACCEPT_ID = rules()[2]?.id ?? '';
const REJECT: RuleDef = {
  id: 'ipv4/filter/INPUT/-p tcp -m tcp --dport 30000:30100 -j REJECT/1',
  backend: 'iptables-nft',
  family: 'ipv4',
  table: 'filter',
  chain: 'INPUT',
  position: 4,
  text: '-A INPUT -p tcp -m tcp --dport 30000:30100 -j REJECT',
  verdict: 'reject',
  isPolicy: false,
  comment: null,
};

/** One counters poll with the given rule deltas. */
/** One poll: per rule [total, delta]; the store takes a rule's delta from the totals after its first sample. */
function poll(at: number, counts: Record<string, [number, number]>): CollectorEvent {
  return {
    kind: 'counters',
    at,
    intervalMs: 1000,
    counters: Object.entries(counts).map(([ruleId, [total, d]]) => ({
      ruleId,
      packets: total,
      bytes: total * 60,
      dPackets: d,
      dBytes: d * 60,
    })),
  };
}

describe.each(ENGINES)('GET /api/timeline: rule-counter drops (no NFLOG rule) (%s)', (engine) => {
  useEngine(engine);
  let hub: Awaited<ReturnType<typeof listeningApp>>;
  beforeEach(async () => {
    hub = await listeningApp({ engine });
  });
  afterEach(async () => {
    await hub.close();
  });

  /** A real collector connection that sends one batch and waits until the hub committed it. */
  async function report(host: string, events: CollectorEvent[]): Promise<void> {
    const c = TestSocket.collector(hub.wsUrl('/ws/collector'), COLLECTOR_TOKEN);
    await c.opened;
    c.send(hello(host, `stream-${host}`));
    await c.welcome();
    c.send(batch(1, events, T + 90_000));
    await c.ack(1);
    c.close();
  }

  it('shows the drops of the involved hosts per rule per minute, with first and last second', async () => {
    // hardened-no-helper: the passive data SYN is dropped by the INPUT policy before conntrack records it,
    // so the session has no data connection at all; only the counters saw it.
    await report('alpha', [
      { kind: 'ruleset', at: T - 60_000, rules: [...rules(), REJECT], diff: null },
      session('s1', T + 5_000, { helper: null }),
      poll(T - 10 * 60_000, { [POLICY_ID]: [100, 50] }), // before the window
      counters(T + 10_000, 102, 2),
      poll(T + 25_000, { [ACCEPT_ID]: [1040, 40] }), // accepted traffic is not a problem
      counters(T + 40_000, 103, 1),
      poll(T + 65_000, { [POLICY_ID]: [106, 3], [REJECT.id]: [1001, 1] }),
    ]);
    // another host drops too, but this client never talked to it
    await report('beta', [
      { kind: 'ruleset', at: T - 60_000, rules: rules(), diff: null },
      counters(T + 20_000, 500, 9),
    ]);

    const from = new Date(T - 5 * 60_000).toISOString();
    const to = new Date(T + 5 * 60_000).toISOString();
    const res = await hub.app.inject({
      url: `/api/timeline?client=${CLIENT_IP}&from=${from}&to=${to}`,
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    const items = res.json() as TimelineItem[];
    expect(items.map((i) => i.type)).toEqual(['session', 'rule-drops', 'rule-drops', 'rule-drops']);
    const drops = items.filter((i) => i.type === 'rule-drops');
    expect(drops).toEqual([
      {
        at: new Date(T + 10_000).toISOString(),
        host: 'alpha',
        type: 'rule-drops',
        problem: true,
        ref: POLICY_ID,
        summary: 'INPUT policy DROP: 3 packets dropped 15:00:10–15:00:40 UTC (rule counter: any client)',
      },
      expect.objectContaining({
        at: new Date(T + 65_000).toISOString(),
        ref: POLICY_ID,
        summary: 'INPUT policy DROP: 3 packets dropped at 15:01:05 UTC (rule counter: any client)',
      }),
      expect.objectContaining({
        ref: REJECT.id,
        summary: `INPUT rule 4 (${REJECT.text}): 1 packet rejected at 15:01:05 UTC (rule counter: any client)`,
      }),
    ]);

    // the host alone (Investigate without a client) shows the same counters; beta's are its own
    const beta = (
      await hub.app.inject({
        url: `/api/timeline?host=beta&from=${from}&to=${to}`,
        headers: auth,
      })
    ).json() as TimelineItem[];
    expect(beta).toEqual([
      expect.objectContaining({
        type: 'rule-drops',
        host: 'beta',
        summary: expect.stringContaining('9 packets'),
      }),
    ]);
  });
});

describe.each(ENGINES)('GET /api/timeline: row limit (%s)', (engine) => {
  useEngine(engine);
  let hub: Awaited<ReturnType<typeof listeningApp>>;
  beforeEach(async () => {
    hub = await listeningApp({ engine });
  });
  afterEach(async () => {
    await hub.close();
  });

  /** A dropped SYN from the client to a passive port, `i` tenths of a second after T. */
  const drop = (i: number): CollectorEvent => ({
    kind: 'drop',
    drop: {
      at: T + i * 100,
      group: 5,
      ruleId: null,
      prefix: 'ftpscope-drop',
      proto: 'TCP',
      src: CLIENT_IP,
      dst: '198.18.1.1',
      sport: 50000 + (i % 10000),
      dport: 30042,
      flags: 'SYN',
    },
  });

  it('says when a kind of record hit the limit, and ends the timeline before the first row left out', async () => {
    const c = TestSocket.collector(hub.wsUrl('/ws/collector'), COLLECTOR_TOKEN);
    await c.opened;
    c.send(hello('alpha', 'stream-alpha'));
    await c.welcome();
    c.send(
      batch(
        1,
        [
          session('s1', T - 1000),
          ...Array.from({ length: MAX_ROWS + 1 }, (_, i) => drop(i)),
          // after the 2,001st drop (T + 200 s): left out, since drops there are not all shown
          session('s2', T + 300_000),
        ],
        T + 400_000,
      ),
    );
    await c.ack(1);
    c.close();

    const get = (to: number) =>
      hub.app.inject({
        url: `/api/timeline?client=${CLIENT_IP}&from=${new Date(T - 60_000).toISOString()}&to=${new Date(to).toISOString()}`,
        headers: auth,
      });
    const cut = await get(T + 600_000);
    expect(cut.statusCode).toBe(200);
    expect(cut.headers['x-ftpscope-truncated']).toBe('true');
    const items = cut.json() as TimelineItem[];
    expect(items).toHaveLength(1 + MAX_ROWS);
    expect(items[0]).toMatchObject({ type: 'session', ref: 's1' });
    expect(items.at(-1)).toMatchObject({
      type: 'drop',
      at: new Date(T + (MAX_ROWS - 1) * 100).toISOString(),
    });
    expect(items.some((i) => i.ref === 's2')).toBe(false);

    // a window with fewer rows is complete and says so
    const whole = await get(T + 150_000);
    expect(whole.headers['x-ftpscope-truncated']).toBe('false');
    expect(whole.json()).toHaveLength(1 + 1501);
  });
});
