import type { FastifyPluginAsync } from 'fastify';
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

/** A tiny Prometheus text-format writer: HELP and TYPE once per metric, then samples. */
class Exposition {
  readonly #lines: string[] = [];
  readonly #seen = new Set<string>();

  add(name: string, type: 'gauge' | 'counter', help: string, l: Record<string, string>, value: number): void {
    if (!this.#seen.has(name)) {
      this.#seen.add(name);
      this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    }
    this.#lines.push(`${name}${labels(l)} ${value}`);
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
      // Samples of one metric must be contiguous: loop per metric, not per host.
      const hosts = app.store.hosts.list(now);
      for (const h of hosts)
        m.add(
          'ftpscope_collector_connected',
          'gauge',
          'A collector is connected for the host.',
          { host: h.name },
          h.connected ? 1 : 0,
        );
      for (const h of hosts)
        m.add(
          'ftpscope_sessions_active',
          'gauge',
          'Open FTP control sessions.',
          { host: h.name },
          h.activeSessions,
        );
      for (const h of hosts)
        m.add(
          'ftpscope_expectations_open',
          'gauge',
          'Pending FTP helper expectations.',
          { host: h.name },
          h.openExpectations,
        );
      for (const h of hosts)
        m.add(
          'ftpscope_drops_last_minute',
          'gauge',
          'Packets counted by drop/reject rules and DROP policies in the last minute.',
          { host: h.name },
          h.dropsPerMinute,
        );
      for (const h of hosts)
        m.add('ftpscope_diagnoses_active', 'gauge', 'Open diagnoses.', { host: h.name }, h.activeDiagnoses);
      const rules = hosts.flatMap((h) => app.store.rules.list(h.name, now).map((r) => ({ host: h.name, r })));
      const ruleLabels = (host: string, r: (typeof rules)[number]['r']) => ({
        host,
        rule: r.id,
        family: r.family,
        table: r.table,
        chain: r.chain,
        verdict: r.verdict,
        policy: String(r.isPolicy),
      });
      for (const { host, r } of rules)
        m.add(
          'ftpscope_rule_packets_total',
          'counter',
          'Packets counted by the rule (kernel counter).',
          ruleLabels(host, r),
          r.packets,
        );
      for (const { host, r } of rules)
        m.add(
          'ftpscope_rule_bytes_total',
          'counter',
          'Bytes counted by the rule (kernel counter).',
          ruleLabels(host, r),
          r.bytes,
        );
      const health = app.store.events.latestHealth();
      for (const { host, health: h } of health)
        m.add('ftpscope_conntrack_entries', 'gauge', 'conntrack table entries.', { host }, h.conntrackCount);
      for (const { host, health: h } of health)
        m.add(
          'ftpscope_conntrack_max',
          'gauge',
          'conntrack table size (nf_conntrack_max).',
          { host },
          h.conntrackMax,
        );
      for (const { host, health: h } of health)
        m.add('ftpscope_conntrack_expectations', 'gauge', 'conntrack expectations.', { host }, h.expectCount);
      for (const { host, health: h } of health)
        m.add(
          'ftpscope_conntrack_expectations_max',
          'gauge',
          'Expectation table size.',
          { host },
          h.expectMax,
        );
      for (const { host, health: h } of health) {
        for (const [stat, v] of Object.entries(h.stats))
          m.add(
            'ftpscope_conntrack_stat_total',
            'counter',
            'conntrack -S totals over all CPUs.',
            { host, stat },
            v,
          );
      }
      m.add('ftpscope_live_clients', 'gauge', 'Browsers on /ws/live.', {}, app.live.clients.size);
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(m.toString());
    },
  );
};
export default metrics;
