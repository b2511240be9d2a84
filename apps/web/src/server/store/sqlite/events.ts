import type { DroppedPacket, FirewallInfo, FtpServerSettings, Gap, NetfilterHealth } from '@ftpscope/shared';
import { type DropRow, type GapRow, toDropRecord, toGapRecord } from '../event-rows.ts';
import type { DropFilter, DropRecord, GapFilter, GapRecord, HostHealthRecord } from '../records.ts';
import type { Db } from './db.ts';

/** Append-only host records: dropped packets, health samples, gaps, and the latest FTP server settings. */
export class EventsRepo {
  readonly #db: Db;
  readonly #insertDrop;
  readonly #insertHealth;
  readonly #upsertSettings;
  readonly #insertGap;
  readonly #latestHealth;
  readonly #healthOf;
  readonly #settingsOf;
  readonly #upsertFirewall;
  readonly #firewallOf;

  constructor(db: Db) {
    this.#db = db;
    this.#insertDrop = db.prepare(
      `INSERT INTO drops (host, at, grp, rule_id, prefix, proto, src, dst, sport, dport, flags, source, verdict)
       VALUES (@host, @at, @group, @ruleId, @prefix, @proto, @src, @dst, @sport, @dport, @flags, @source, @verdict)`,
    );
    this.#insertHealth = db.prepare('INSERT INTO health_samples (host, at, health) VALUES (?, ?, ?)');
    this.#upsertSettings = db.prepare(
      `INSERT INTO ftp_settings (host, updated_at, settings) VALUES (?, ?, ?)
       ON CONFLICT(host) DO UPDATE SET updated_at = excluded.updated_at, settings = excluded.settings`,
    );
    this.#insertGap = db.prepare(
      'INSERT INTO gaps (host, at, source, reason, from_seq, to_seq) VALUES (?, ?, ?, ?, ?, ?)',
    );
    // Newest by sample time (health is an append, EVENT_SEMANTICS), one index probe per host.
    this.#latestHealth = db.prepare(
      `SELECT * FROM (SELECT name AS host, (SELECT health FROM health_samples x WHERE x.host = hosts.name
         ORDER BY at DESC, id DESC LIMIT 1) AS health FROM hosts ORDER BY name) WHERE health IS NOT NULL`,
    );
    // By sample time: a replayed spool may deliver an older sample after a newer one.
    this.#healthOf = db.prepare(
      'SELECT health FROM health_samples WHERE host = ? ORDER BY at DESC, id DESC LIMIT 1',
    );
    this.#settingsOf = db.prepare('SELECT updated_at, settings FROM ftp_settings WHERE host = ?');
    this.#upsertFirewall = db.prepare(
      `INSERT INTO firewall_info (host, updated_at, info) VALUES (?, ?, ?)
       ON CONFLICT(host) DO UPDATE SET updated_at = excluded.updated_at, info = excluded.info`,
    );
    this.#firewallOf = db.prepare('SELECT info FROM firewall_info WHERE host = ?');
  }

  /** Returns the new drop's id. */
  insertDrop(host: string, d: DroppedPacket): number {
    return Number(
      this.#insertDrop.run({ host, ...d, source: d.source ?? null, verdict: d.verdict ?? null })
        .lastInsertRowid,
    );
  }

  /** Keeps the latest firewall manager detection of a host. */
  upsertFirewall(host: string, at: number, info: FirewallInfo): void {
    this.#upsertFirewall.run(host, at, JSON.stringify(info));
  }

  /** The host's firewall manager as last detected, or null. */
  firewall(host: string): FirewallInfo | null {
    const r = this.#firewallOf.get(host) as { info: string } | undefined;
    return r ? (JSON.parse(r.info) as FirewallInfo) : null;
  }

  insertHealth(host: string, h: NetfilterHealth): void {
    this.#insertHealth.run(host, h.at, JSON.stringify(h));
  }

  upsertSettings(host: string, at: number, s: FtpServerSettings): void {
    this.#upsertSettings.run(host, at, JSON.stringify(s));
  }

  /** Returns the new gap's id. */
  insertGap(host: string, g: Gap): number {
    return Number(this.#insertGap.run(host, g.at, g.source, g.reason, g.fromSeq, g.toSeq).lastInsertRowid);
  }

  /** The newest health sample of every host (for /metrics). */
  latestHealth(): { host: string; health: NetfilterHealth }[] {
    return (this.#latestHealth.all() as { host: string; health: string }[]).map((r) => ({
      host: r.host,
      health: JSON.parse(r.health) as NetfilterHealth,
    }));
  }

  /** The newest health sample and the FTP server settings of one host, null where none was reported. */
  hostHealth(host: string): HostHealthRecord {
    const h = this.#healthOf.get(host) as { health: string } | undefined;
    const s = this.#settingsOf.get(host) as { updated_at: number; settings: string } | undefined;
    return {
      health: h ? (JSON.parse(h.health) as NetfilterHealth) : null,
      settings: s ? { ...(JSON.parse(s.settings) as FtpServerSettings), updatedAt: s.updated_at } : null,
      firewall: this.firewall(host),
    };
  }

  /** Dropped packets, newest first; `client` matches either address (active mode drops go to the client). */
  drops(f: DropFilter): DropRecord[] {
    const where = ['at >= @from', 'at <= @to'];
    if (f.host !== undefined) where.push('host = @host');
    if (f.client !== undefined) where.push('(src = @client OR dst = @client)');
    const rows = this.#db
      .prepare(`SELECT * FROM drops WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT @limit`)
      .all({ ...f }) as DropRow[];
    return rows.map(toDropRecord);
  }

  /** Gaps in what collectors could see, newest first. */
  gaps(f: GapFilter): GapRecord[] {
    const where = ['at >= @from', 'at <= @to'];
    if (f.host !== undefined) where.push('host = @host');
    const rows = this.#db
      .prepare(`SELECT * FROM gaps WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT @limit`)
      .all({ ...f }) as GapRow[];
    return rows.map(toGapRecord);
  }
}
