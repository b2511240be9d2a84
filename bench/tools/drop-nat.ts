/**
 * What one dropped SYN costs the data-channel tracker when many sessions share a client address (a NAT):
 *   pnpm tsx bench/tools/drop-nat.ts [K...]   (default 100 1000 10000)
 * K sessions of one client, each offered 5 passive ports of a range of 100, then 2,000 traced drops to those
 * ports; prints µs per drop. Offline: the model and tracker as host-monitor wires them, no lab.
 */
import { DataChannelTracker } from '../../apps/collector/src/model/data-channels.ts';
import { SessionModel } from '../../apps/collector/src/model/sessions.ts';
import type { ConntrackRecord } from '../../apps/collector/src/sources/conntrack-parse.ts';

const CLIENT = '198.18.4.100';
const SERVER = '198.18.4.11';
const range = (): [number, number] => [40000, 40099];

function run(k: number): number {
  const tracker: DataChannelTracker = new DataChannelTracker(
    { sessionsOfClient: (ip) => model.sessionsOfClient(ip), emitSession: (st) => model.emitSession(st) },
    range,
  );
  const model: SessionModel = new SessionModel({
    host: 'bench',
    ftpPorts: [21],
    passiveRange: range,
    emit: (e, st) => tracker.observe(e, st),
  });
  const t0 = 1_000_000;
  for (let i = 0; i < k; i++) {
    const rec: ConntrackRecord = {
      event: 'NEW',
      family: 'ipv4',
      proto: 'tcp',
      id: String(i + 1),
      timeout: 300,
      state: 'ESTABLISHED',
      unreplied: false,
      assured: true,
      helper: null,
      bytes: null,
      master: null,
      orig: { src: CLIENT, dst: SERVER, sport: 1024 + i, dport: 21 },
      reply: { src: SERVER, dst: CLIENT, sport: 21, dport: 1024 + i },
    };
    const st = model.applyConntrack(rec, t0);
    if (!st || !('clientIp' in st)) throw new Error('no session');
    for (let a = 0; a < 5; a++)
      tracker.logSignal(st, { type: 'offer', at: t0 + a, port: 40000 + ((i + a) % 100), address: null });
  }
  const n = 2000;
  const start = performance.now();
  for (let j = 0; j < n; j++)
    tracker.drop({
      at: t0 + 10,
      group: 0,
      ruleId: null,
      prefix: null,
      proto: 'tcp',
      src: CLIENT,
      dst: SERVER,
      sport: 50000,
      dport: 40000 + (j % 100),
      flags: 'S',
      source: 'trace',
    });
  return ((performance.now() - start) / n) * 1000;
}

const sizes = process.argv.slice(2).map(Number);
for (const k of sizes.length > 0 ? sizes : [100, 1000, 10_000])
  console.log(`${k} sessions of one address: ${run(k).toFixed(0)} µs per drop`);
