import type { RulesetChangeView, RuleView, SeriesPoint } from '@ftpscope/shared';
import type { RuleRecord, RulesetChangeRecord, SeriesBucket } from '../store/index.ts';
import { iso } from './iso.ts';

/** A current rule with counters, as the API shows it. */
export function toRuleView(r: RuleRecord): RuleView {
  return {
    id: r.id,
    backend: r.backend,
    family: r.family,
    table: r.table,
    chain: r.chain,
    position: r.position,
    text: r.text,
    verdict: r.verdict,
    isPolicy: r.isPolicy,
    packets: r.packets,
    bytes: r.bytes,
    dropsLastMinute: r.dropsLastMinute,
  };
}

/** One series bucket, its start in ISO. */
export function toSeriesPoint(b: SeriesBucket): SeriesPoint {
  return { t: iso(b.t), packets: b.packets, bytes: b.bytes };
}

/** A ruleset change, time in ISO. */
export function toChangeView(c: RulesetChangeRecord): RulesetChangeView {
  return {
    id: c.id,
    host: c.host,
    at: iso(c.at),
    notBefore: c.notBefore === null ? null : iso(c.notBefore),
    added: c.diff.added,
    removed: c.diff.removed,
    moved: c.diff.moved,
    policyChanges: c.diff.policyChanges,
  };
}
