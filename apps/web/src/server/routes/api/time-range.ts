import { FtpscopeError } from '@ftpscope/shared';

/** An ISO time the schema accepted but Date cannot hold (a leap second, "23:59:60Z") is a 400 too, never a NaN. */
function parseTime(name: 'from' | 'to', value: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms))
    throw new FtpscopeError('FTPSCOPE_ERR_BAD_PARAM', `querystring/${name}: not a valid time: ${value}`);
  return ms;
}

/** Resolves optional ISO `from`/`to` into ms, defaulting to the last `defaultMs`; from after to is a 400. */
export function timeRange(
  q: { from?: string; to?: string },
  now: number,
  defaultMs: number,
): { from: number; to: number } {
  const to = q.to !== undefined ? parseTime('to', q.to) : now;
  const from = q.from !== undefined ? parseTime('from', q.from) : to - defaultMs;
  if (from > to)
    throw new FtpscopeError('FTPSCOPE_ERR_BAD_PARAM', 'querystring/from must not be after querystring/to');
  return { from, to };
}

/** Same, but only the bounds given (no default window). */
export function optionalRange(q: { from?: string; to?: string }): { from?: number; to?: number } {
  const r: { from?: number; to?: number } = {};
  if (q.from !== undefined) r.from = parseTime('from', q.from);
  if (q.to !== undefined) r.to = parseTime('to', q.to);
  if (r.from !== undefined && r.to !== undefined && r.from > r.to) {
    throw new FtpscopeError('FTPSCOPE_ERR_BAD_PARAM', 'querystring/from must not be after querystring/to');
  }
  return r;
}

/** One hour in ms (default windows). */
export const HOUR = 3_600_000;
/** One day in ms. */
export const DAY = 24 * HOUR;
