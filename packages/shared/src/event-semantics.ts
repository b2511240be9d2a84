/**
 * What each kind of event means, said once: the collector's batcher, the hub's store, the live queue, the
 * diagnoses buffer and the UI stores all read it here instead of deciding on their own.
 *
 * - `upsert`: the full state of one object, named by `id`; a later event of the same id replaces it.
 * - `latest`: the full state of one thing per host; a later event replaces it.
 * - `append`: a record kept in history (a sample, a packet, a change, a command applied in order); never
 *   replaced. Where a current state follows from them, it is the record with the newest `at`, not the last one
 *   to arrive (a replayed spool can deliver an older sample after a newer one).
 *
 * Only types are imported, so the UI can use this module without bundling the schemas.
 */
import type { LiveEvent } from './api.ts';

/** How a kind of event is kept (see the module comment). */
export type EventMode = 'upsert' | 'latest' | 'append';

/** The live events of one kind. */
export type EventOfKind<K extends LiveEvent['kind']> = Extract<LiveEvent, { kind: K }>;

/** The meaning of one kind of event. */
export type KindSemantics<E> =
  | { mode: 'upsert'; id: (e: E) => string }
  | { mode: 'latest' }
  | {
      mode: 'append';
      /** When the record happened (collector clock, epoch ms). */
      at: (e: E) => number;
      /** Consecutive records a consumer that only needs their sum may fold into one (counter deltas). */
      merge?: (older: E, newer: E) => E;
    };

type CountersEvent = EventOfKind<'counters'>;

/** Sums the deltas and keeps the newer totals, so merged counters still add up. */
function mergeCounters(older: CountersEvent, newer: CountersEvent): CountersEvent {
  const byRule = new Map(older.counters.map((c) => [c.ruleId, c]));
  for (const c of newer.counters) {
    const o = byRule.get(c.ruleId);
    byRule.set(c.ruleId, o ? { ...c, dPackets: o.dPackets + c.dPackets, dBytes: o.dBytes + c.dBytes } : c);
  }
  return {
    kind: 'counters',
    at: newer.at,
    intervalMs: older.intervalMs + newer.intervalMs,
    counters: [...byRule.values()],
  };
}

/** Every kind of collector and hub event with its meaning; a new kind fails the typecheck until it is here. */
export const EVENT_SEMANTICS = {
  session: { mode: 'upsert', id: (e) => e.session.id },
  expectation: { mode: 'upsert', id: (e) => e.expectation.id },
  data: { mode: 'upsert', id: (e) => e.data.id },
  diagnosis: { mode: 'upsert', id: (e) => e.diagnosis.id },
  settings: { mode: 'latest' },
  firewall: { mode: 'latest' },
  host: { mode: 'latest' },
  // The current state of an on-demand trace (hub -> browsers only), named by its id.
  trace: { mode: 'upsert', id: (e) => e.trace.id },
  // Each ruleset is a change (its diff is history); the current rule list is the newest one.
  ruleset: { mode: 'append', at: (e) => e.at },
  counters: { mode: 'append', at: (e) => e.at, merge: mergeCounters },
  health: { mode: 'append', at: (e) => e.health.at },
  drop: { mode: 'append', at: (e) => e.drop.at },
  gap: { mode: 'append', at: (e) => e.gap.at },
  // A command ("sessions not listed are over"): applied in order, never moved or merged.
  sync: { mode: 'append', at: (e) => e.at },
} as const satisfies { [K in LiveEvent['kind']]: KindSemantics<EventOfKind<K>> };

/** The meaning of an event's kind. */
export function semanticsOf<E extends LiveEvent>(e: E): KindSemantics<E> {
  return EVENT_SEMANTICS[e.kind] as unknown as KindSemantics<E>;
}

/** Events with the same key replace each other: `kind:id` for upserts, `kind` for latest, null for appends. */
export function replaceKey(e: LiveEvent): string | null {
  const s = semanticsOf(e);
  if (s.mode === 'upsert') return `${e.kind}:${s.id(e)}`;
  return s.mode === 'latest' ? e.kind : null;
}

/** When an append record happened; null for the other kinds. */
export function recordAt(e: LiveEvent): number | null {
  const s = semanticsOf(e);
  return s.mode === 'append' ? s.at(e) : null;
}

/** Folds `newer` into `older` when their kind merges (counters); null when it does not. */
export function mergeRecords<E extends LiveEvent>(older: E, newer: E): E | null {
  if (older.kind !== newer.kind) return null;
  const s = semanticsOf(newer);
  return s.mode === 'append' && s.merge ? s.merge(older, newer) : null;
}
