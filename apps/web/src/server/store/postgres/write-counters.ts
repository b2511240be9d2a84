import type { RuleCounter } from '@ftpscope/shared';
import type pg from 'pg';
import { storedDelta } from '../counter-deltas.ts';
import { INSERT_SAMPLES, SELECT_TOTALS, SET_TOTALS, UPSERT_ROLLUPS } from './batch-sql.ts';

const MINUTE = 60_000;

/** Runs a named (prepared once per connection) statement. */
function q(client: pg.PoolClient, name: string, text: string, values: unknown[]) {
  return client.query({ name, text, values });
}

/**
 * Raw samples, minute rollups summed per (rule, minute) and totals reduced per rule first; one sample per
 * (rule, time), a sample stored before is ignored, deltas from the stored totals (counter-deltas.ts).
 */
export async function writeCounters(
  client: pg.PoolClient,
  host: string,
  input: { at: number; c: RuleCounter }[],
): Promise<void> {
  const ids = [...new Set(input.map((x) => x.c.ruleId))];
  const stored = (await q(client, 'ftpscope_select_totals', SELECT_TOTALS, [host, ids])).rows as {
    id: string;
    packets: string;
    bytes: string;
    at: string | null;
  }[];
  const prev = new Map(
    stored.map((r) => [
      r.id,
      { packets: Number(r.packets), bytes: Number(r.bytes), at: r.at === null ? null : Number(r.at) },
    ]),
  );
  const cs = [...input]
    .sort((a, b) => a.at - b.at)
    .map((x) => {
      const d = storedDelta(prev.get(x.c.ruleId), x.at, x.c);
      prev.set(x.c.ruleId, d.next);
      return { at: x.at, c: { ...x.c, dPackets: d.dPackets, dBytes: d.dBytes } };
    });
  const inserted = await q(client, 'ftpscope_insert_samples', INSERT_SAMPLES, [
    host,
    cs.map((x) => x.c.ruleId),
    cs.map((x) => x.at),
    cs.map((x) => x.c.packets),
    cs.map((x) => x.c.bytes),
    cs.map((x) => x.c.dPackets),
    cs.map((x) => x.c.dBytes),
  ]);
  const fresh = new Set(
    (inserted.rows as { rule_id: string; at: string }[]).map((r) => `${r.rule_id}\0${r.at}`),
  );
  const counted = cs.filter((x) => fresh.delete(`${x.c.ruleId}\0${x.at}`));
  const rollups = new Map<string, { rule: string; bucket: number; p: number; b: number }>();
  const totals = new Map<string, { at: number; c: RuleCounter }>();
  for (const x of counted) {
    const bucket = Math.floor(x.at / MINUTE) * MINUTE;
    const key = `${x.c.ruleId}\0${bucket}`;
    const r = rollups.get(key) ?? { rule: x.c.ruleId, bucket, p: 0, b: 0 };
    r.p += x.c.dPackets;
    r.b += x.c.dBytes;
    rollups.set(key, r);
    const t = totals.get(x.c.ruleId);
    if (!t || t.at <= x.at) totals.set(x.c.ruleId, x);
  }
  const r = [...rollups.values()];
  await q(client, 'ftpscope_upsert_rollups', UPSERT_ROLLUPS, [
    host,
    r.map((x) => x.rule),
    r.map((x) => x.bucket),
    r.map((x) => x.p),
    r.map((x) => x.b),
  ]);
  const t = [...totals.values()];
  await q(client, 'ftpscope_set_totals', SET_TOTALS, [
    host,
    t.map((x) => x.c.ruleId),
    t.map((x) => x.c.packets),
    t.map((x) => x.c.bytes),
    t.map((x) => x.at),
  ]);
}
