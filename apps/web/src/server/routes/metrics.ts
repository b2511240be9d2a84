import type { NetfilterHealth } from '@ftpscope/shared';
import type { FastifyPluginAsync } from 'fastify';
import type { HostRecord, RuleRecord } from '../store/index.ts';
import { secured } from './api/schemas.ts';

/** Escapes a Prometheus label value. */
export function labelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  return `{${Object.entries(l)
    .map(([k, v]) => `${k}="${labelValue(v)}"`)
    .join(',')}}`;
}

/** A tiny Prometheus text-format writer: HELP and TYPE once per metric, then its samples (contiguous). */
class Exposition {
  readonly #lines: string[] = [];

  /** One metric with a sample per row. */
  family<R>(
    name: string,
    type: 'gauge' | 'counter',
    help: string,
    rows: Iterable<R>,
    sample: (row: R) => [labels: Record<string, string>, value: number],
  ): void {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const row of rows) {
      const [l, value] = sample(row);
      this.#lines.push(`${name}${labels(l)} ${value}`);
    }
  }

  toString(): string {
    return `${this.#lines.join('\n')}\n`;
  }
}

/** GET /metrics: Prometheus text, behind the API token (scrape with `authorization: { credentials: TOKEN }`). */
const metrics: FastifyPluginAsync = async (app) => {
  app.get(
    '/metrics',
    { schema: { tags: ['hub'], security: secured, produces: ['text/plain'] } },
    async (_req, reply) => {
      const now = app.now();
      const m = new Exposition();
      const hosts = await app.store.hosts.list(now);
      const perHost = (name: string, help: string, value: (h: HostRecord) => number) =>
        m.family(name, 'gauge', help, hosts, (h) => [{ host: h.name }, value(h)]);
      perHost('ftpscope_collector_connected', 'A collector is connected for the host.', (h) =>
        h.connected ? 1 : 0,
      );
      perHost('ftpscope_sessions_active', 'Open FTP control sessions.', (h) => h.activeSessions);
      perHost('ftpscope_expectations_open', 'Pending FTP helper expectations.', (h) => h.openExpectations);
      perHost(
        'ftpscope_drops_last_minute',
        'Packets counted by drop/reject rules and DROP policies in the last minute.',
        (h) => h.dropsPerMinute,
      );
      perHost('ftpscope_diagnoses_active', 'Open diagnoses.', (h) => h.activeDiagnoses);

      const rules = (
        await Promise.all(
          hosts.map(async (h) => (await app.store.rules.list(h.name, now)).map((r) => ({ host: h.name, r }))),
        )
      ).flat();
      const perRule = (name: string, help: string, value: (r: RuleRecord) => number) =>
        m.family(name, 'counter', help, rules, ({ host, r }) => [
          {
            host,
            rule: r.id,
            family: r.family,
            table: r.table,
            chain: r.chain,
            verdict: r.verdict,
            policy: String(r.isPolicy),
          },
          value(r),
        ]);
      perRule(
        'ftpscope_rule_packets_total',
        'Packets counted by the rule (kernel counter).',
        (r) => r.packets,
      );
      perRule('ftpscope_rule_bytes_total', 'Bytes counted by the rule (kernel counter).', (r) => r.bytes);

      const health = await app.store.events.latestHealth();
      const perHealth = (name: string, help: string, value: (h: NetfilterHealth) => number) =>
        m.family(name, 'gauge', help, health, ({ host, health: h }) => [{ host }, value(h)]);
      perHealth('ftpscope_conntrack_entries', 'conntrack table entries.', (h) => h.conntrackCount);
      perHealth('ftpscope_conntrack_max', 'conntrack table size (nf_conntrack_max).', (h) => h.conntrackMax);
      perHealth('ftpscope_conntrack_expectations', 'conntrack expectations.', (h) => h.expectCount);
      perHealth('ftpscope_conntrack_expectations_max', 'Expectation table size.', (h) => h.expectMax);
      m.family(
        'ftpscope_conntrack_stat_total',
        'counter',
        'conntrack -S totals over all CPUs.',
        health.flatMap(({ host, health: h }) =>
          Object.entries(h.stats).map(([stat, v]) => ({ host, stat, v })),
        ),
        ({ host, stat, v }) => [{ host, stat }, v],
      );
      m.family('ftpscope_live_clients', 'gauge', 'Browsers on /ws/live.', [app.live.clients.size], (n) => [
        {},
        n,
      ]);
      m.family(
        'ftpscope_hub_info',
        'gauge',
        'Which hub answered (--hub-id): several hubs may share one PostgreSQL database.',
        [app.store.hubId],
        (hub) => [{ hub }, 1],
      );
      m.family(
        'ftpscope_hub_collectors',
        'gauge',
        'Collectors connected to this hub.',
        [app.collectors.size],
        (n) => [{ hub: app.store.hubId }, n],
      );
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(m.toString());
    },
  );
};
export default metrics;
