import { FtpscopeError } from '@ftpscope/shared';

/** Formats epoch ms for a sentence in one time zone: "11:46:52", with the date when it is not `now`'s day there. */
export type TimeFormat = (ms: number) => string;

/**
 * A formatter for the asker's IANA time zone (the browser sends its own), so the hub's sentences name the
 * same times as the rest of the UI. An unknown zone is a 400 naming the parameter.
 */
export function timeFormat(tz: string | undefined, now: number): TimeFormat {
  const timeZone = tz ?? 'UTC';
  let time: Intl.DateTimeFormat;
  let day: Intl.DateTimeFormat;
  try {
    time = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    day = new Intl.DateTimeFormat('en-US', { timeZone, month: 'short', day: 'numeric', year: 'numeric' });
  } catch {
    throw new FtpscopeError(
      'FTPSCOPE_ERR_BAD_PARAM',
      `querystring/tz: unknown time zone ${JSON.stringify(timeZone)} (an IANA name such as Europe/Paris)`,
    );
  }
  const today = day.format(now);
  const sameYear = (d: string) => d.slice(-4) === today.slice(-4);
  return (ms) => {
    const d = day.format(ms);
    const t = time.format(ms);
    if (d === today) return t;
    return `${sameYear(d) ? d.slice(0, -6) : d} ${t}`;
  };
}
