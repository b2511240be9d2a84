import type { TimelineItem } from '@ftpscope/shared';
import type { RuleDropsRecord, TimelineRecords } from '../store/index.ts';
import { iso } from './iso.ts';

/** An item with its time still in ms (sorted and cut before rendering). */
type Timed = Omit<TimelineItem, 'at'> & { at: number };

/**
 * The investigation timeline from the store's records: one sentence per session, expectation, data connection,
 * drop, ruleset change, rule-counter minute, diagnosis and gap, ordered by time and ended before `cutAt` (the
 * first row a kind left out), so it is complete up to its last item.
 */
export function timelineItems(r: TimelineRecords): TimelineItem[] {
  const items: Timed[] = [];
  const add = (
    at: number,
    host: string,
    type: TimelineItem['type'],
    problem: boolean,
    ref: string,
    summary: string,
  ) => items.push({ at, host, type, problem, ref, summary });
  for (const s of r.sessions) {
    const helper = s.helper ? `helper ${s.helper}` : 'no helper';
    const who = s.user ? `, user ${s.user}` : '';
    add(
      s.startedAt,
      s.host,
      'session',
      false,
      s.id,
      `FTP session ${s.client.ip}:${s.client.port} → ${s.server.ip}:${s.server.port} (${s.mode}, ${helper}${who})`,
    );
    for (const e of s.expectations) {
      const unused = e.expiredAt !== null && e.fulfilledAt === null;
      const fate = e.fulfilledAt !== null ? 'fulfilled' : unused ? 'expired unused' : 'open';
      add(
        e.createdAt,
        s.host,
        'expectation',
        unused,
        s.id,
        `expectation for port ${e.port} (${e.mode}): ${fate}`,
      );
    }
    for (const d of s.dataConnections) {
      const fate = d.established ? 'established' : 'FAILED: never established';
      add(
        d.startedAt,
        s.host,
        'data',
        !d.established,
        s.id,
        `data connection ${d.clientPort} ↔ ${d.serverPort} (${d.mode}): ${fate}`,
      );
    }
  }
  for (const d of r.drops) {
    const rule = d.ruleId ?? d.prefix ?? `nflog group ${d.group}`;
    add(
      d.at,
      d.host,
      'drop',
      true,
      String(d.id),
      `dropped ${d.proto} ${d.src}:${d.sport ?? '-'} → ${d.dst}:${d.dport ?? '-'}${d.flags ? ` [${d.flags}]` : ''} (${rule})`,
    );
  }
  for (const c of r.changes) {
    const policies = c.diff.policyChanges.map((p) => `${p.chain} policy ${p.from}→${p.to}`).join(', ');
    add(
      c.at,
      c.host,
      'change',
      false,
      String(c.id),
      `ruleset changed${c.notBefore !== null ? ' (found by a poll: at or before this time)' : ''}: ${c.diff.added.length} added, ${c.diff.removed.length} removed${policies ? `, ${policies}` : ''}`,
    );
  }
  for (const d of r.ruleDrops) items.push(ruleDropsItem(d));
  for (const d of r.diagnoses) add(d.firstSeen, d.host, 'diagnosis', true, d.id, `${d.severity}: ${d.title}`);
  for (const g of r.gaps) {
    add(
      g.at,
      g.host,
      'gap',
      true,
      String(g.id),
      `collector could not see everything (${g.source}): ${g.reason}`,
    );
  }
  const kept = r.cutAt === null ? items : items.filter((i) => i.at < (r.cutAt as number));
  return kept.sort((a, b) => a.at - b.at).map((i) => ({ ...i, at: iso(i.at) }));
}

const hms = (ms: number) => new Date(ms).toISOString().slice(11, 19);

/** "INPUT policy DROP: 12 packets dropped 15:00:10–15:00:40 UTC": what a counter saw, without NFLOG. */
function ruleDropsItem(r: RuleDropsRecord): Timed {
  const family = r.rule.family === 'ipv4' ? '' : `${r.rule.family} `;
  const rule = r.rule.isPolicy
    ? `${family}${r.rule.chain} policy ${r.rule.verdict.toUpperCase()}`
    : `${family}${r.rule.chain} rule ${r.rule.position} (${r.rule.text})`;
  const verb = r.rule.verdict === 'reject' ? 'rejected' : 'dropped';
  // Without raw samples (pruned after 7 days) only the minute is known.
  const when =
    r.firstAt === null || r.lastAt === null
      ? `${hms(r.bucket).slice(0, 5)}–${hms(r.bucket + 60_000).slice(0, 5)}`
      : r.firstAt === r.lastAt
        ? `at ${hms(r.firstAt)}`
        : `${hms(r.firstAt)}–${hms(r.lastAt)}`;
  const packets = `${r.packets} packet${r.packets === 1 ? '' : 's'}`;
  return {
    at: r.firstAt ?? r.bucket,
    host: r.host,
    type: 'rule-drops',
    problem: true,
    ref: r.rule.id,
    summary: `${rule}: ${packets} ${verb} ${when} UTC (rule counter: any client)`,
  };
}
