import type { DataChannelAttempt } from '@ftpscope/shared';
import type { Db } from './db.ts';

/** A stored data-channel attempt (data_channels table). */
interface AttemptRow {
  host: string;
  id: string;
  session_id: string;
  mode: DataChannelAttempt['mode'];
  command: string | null;
  address: string | null;
  port: number | null;
  asked_at: number;
  outcome: DataChannelAttempt['outcome'];
  settled_at: number | null;
  bytes: number | null;
  bytes_from: DataChannelAttempt['bytesFrom'];
  rule_id: string | null;
  drop_source: DataChannelAttempt['dropSource'];
  tied_by: DataChannelAttempt['tiedBy'];
  expectation_id: string | null;
  data_connection_id: string | null;
  reason: string | null;
}

/**
 * Data-channel attempts of sessions, upserted by id from each session report (a report carries the latest 50,
 * so older ones stay as last reported). Kept in small statements so another storage engine can port them.
 */
export class DataChannelsRepo {
  readonly #upsert;
  readonly #of;

  constructor(db: Db) {
    this.#upsert = db.prepare(
      `INSERT INTO data_channels (host, id, session_id, mode, command, address, port, asked_at, outcome, settled_at,
         bytes, bytes_from, rule_id, drop_source, tied_by, expectation_id, data_connection_id, reason)
       VALUES (@host, @id, @session_id, @mode, @command, @address, @port, @asked_at, @outcome, @settled_at,
         @bytes, @bytes_from, @rule_id, @drop_source, @tied_by, @expectation_id, @data_connection_id, @reason)
       ON CONFLICT(host, id) DO UPDATE SET session_id = excluded.session_id, mode = excluded.mode,
         command = excluded.command, address = excluded.address, port = excluded.port,
         asked_at = min(data_channels.asked_at, excluded.asked_at), outcome = excluded.outcome,
         settled_at = excluded.settled_at, bytes = excluded.bytes, bytes_from = excluded.bytes_from,
         rule_id = excluded.rule_id, drop_source = excluded.drop_source, tied_by = excluded.tied_by,
         expectation_id = excluded.expectation_id, data_connection_id = excluded.data_connection_id,
         reason = excluded.reason`,
    );
    this.#of = db.prepare(
      `SELECT * FROM data_channels WHERE host = ? AND session_id IN (SELECT value FROM json_each(?))
       ORDER BY asked_at, id`,
    );
  }

  /** Stores the attempts a session report carries. */
  upsert(host: string, sessionId: string, attempts: DataChannelAttempt[]): void {
    for (const a of attempts) {
      this.#upsert.run({
        host,
        id: a.id,
        session_id: sessionId,
        mode: a.mode,
        command: a.command,
        address: a.address,
        port: a.port,
        asked_at: a.askedAt,
        outcome: a.outcome,
        settled_at: a.settledAt,
        bytes: a.bytes,
        bytes_from: a.bytesFrom,
        rule_id: a.ruleId,
        drop_source: a.dropSource,
        tied_by: a.tiedBy,
        expectation_id: a.expectationId,
        data_connection_id: a.dataConnectionId,
        reason: a.reason,
      });
    }
  }

  /** The attempts of some sessions of one host (times in ms), by session id, oldest first. */
  of(host: string, sessionIds: string[]): Map<string, DataChannelAttempt[]> {
    const out = new Map<string, DataChannelAttempt[]>();
    for (const r of this.#of.all(host, JSON.stringify(sessionIds)) as AttemptRow[]) {
      const a: DataChannelAttempt = {
        id: r.id,
        mode: r.mode,
        command: r.command,
        address: r.address,
        port: r.port,
        askedAt: r.asked_at,
        outcome: r.outcome,
        settledAt: r.settled_at,
        bytes: r.bytes,
        bytesFrom: r.bytes_from,
        ruleId: r.rule_id,
        dropSource: r.drop_source,
        tiedBy: r.tied_by,
        expectationId: r.expectation_id,
        dataConnectionId: r.data_connection_id,
        reason: r.reason,
      };
      const list = out.get(r.session_id);
      if (list) list.push(a);
      else out.set(r.session_id, [a]);
    }
    return out;
  }
}
