import type { FirewallInfo, FtpServerSettings, NetfilterHealth } from '@ftpscope/shared';
import type pg from 'pg';
import { type DropRow, type GapRow, toDropRecord, toGapRecord } from '../event-rows.ts';
import type { DropFilter, DropRecord, GapFilter, GapRecord, HostHealthRecord } from '../records.ts';

/** Appended host records on PostgreSQL: drops, gaps, health samples, FTP server settings. */
export class PgEvents {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async drops(f: DropFilter): Promise<DropRecord[]> {
    const values: unknown[] = [f.from, f.to];
    const where = ['at >= $1', 'at <= $2'];
    const param = (v: unknown) => `$${values.push(v)}`;
    if (f.host !== undefined) where.push(`host = ${param(f.host)}`);
    if (f.client !== undefined) {
      const c = param(f.client);
      where.push(`(src = ${c} OR dst = ${c})`);
    }
    const { rows } = await this.#pool.query<DropRow>(
      `SELECT * FROM drops WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ${param(f.limit)}`,
      values,
    );
    return rows.map(toDropRecord);
  }

  async gaps(f: GapFilter): Promise<GapRecord[]> {
    const values: unknown[] = [f.from, f.to];
    const where = ['at >= $1', 'at <= $2'];
    const param = (v: unknown) => `$${values.push(v)}`;
    if (f.host !== undefined) where.push(`host = ${param(f.host)}`);
    const { rows } = await this.#pool.query<GapRow>(
      `SELECT * FROM gaps WHERE ${where.join(' AND ')} ORDER BY at DESC, id DESC LIMIT ${param(f.limit)}`,
      values,
    );
    return rows.map(toGapRecord);
  }

  async hostHealth(host: string): Promise<HostHealthRecord> {
    // By sample time: a replayed spool may deliver an older sample after a newer one.
    const h = await this.#pool.query<{ health: NetfilterHealth }>({
      name: 'ftpscope_health_of',
      text: 'SELECT health FROM health_samples WHERE host = $1 ORDER BY at DESC, id DESC LIMIT 1',
      values: [host],
    });
    const s = await this.#pool.query<{ updated_at: number; settings: FtpServerSettings }>({
      name: 'ftpscope_settings_of',
      text: 'SELECT updated_at, settings FROM ftp_settings WHERE host = $1',
      values: [host],
    });
    const f = await this.#pool.query<{ info: FirewallInfo }>({
      name: 'ftpscope_firewall_of',
      text: 'SELECT info FROM firewall_info WHERE host = $1',
      values: [host],
    });
    const settings = s.rows[0];
    return {
      health: h.rows[0]?.health ?? null,
      settings: settings ? { ...settings.settings, updatedAt: settings.updated_at } : null,
      firewall: f.rows[0]?.info ?? null,
    };
  }

  async latestHealth(): Promise<{ host: string; health: NetfilterHealth }[]> {
    const { rows } = await this.#pool.query<{ host: string; health: NetfilterHealth }>({
      name: 'ftpscope_latest_health',
      text: `SELECT h.name AS host, x.health FROM hosts h CROSS JOIN LATERAL
          (SELECT health FROM health_samples s WHERE s.host = h.name ORDER BY s.at DESC, s.id DESC LIMIT 1) x
        ORDER BY h.name COLLATE "C"`,
      values: [],
    });
    return rows;
  }
}
