import { bytesText, type InvestigateSummary } from '@ftpscope/shared';
import { burstEndingWith, diffLabel, netDiff } from './change-burst.ts';
import { describeFailures } from './failures.ts';
import type { DiagnosisRecord, History, RulesetChangeRecord, Subject } from './history.ts';
import { type HostStory, hostStory } from './host-story.ts';
import { plural } from './outcomes.ts';
import { RuleNames } from './rule-label.ts';
import type { TimeFormat } from './time-format.ts';

/** Log times are whole seconds (truncated), event times milliseconds: allow this much either way. */
const SLACK_MS = 1000;
/** Without a channel that worked before the failure, a change this long before it still counts as "just before". */
const BEFORE_MS = 10 * 60_000;
/** A diagnosis opens some seconds after the failures it explains (it needs them as evidence). */
const DIAGNOSIS_LAG_MS = 60_000;
/** Kinds that name a symptom rather than a cause: preferred only when nothing more specific was diagnosed. */
const GENERIC_KINDS = new Set(['drops-after-ruleset-change']);
const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

/** "198.18.1.100", "user bob", "clients of ftp1". */
export function subjectLabel(s: Subject): string {
  if (s.client !== undefined) return s.client;
  if (s.user !== undefined) return `user ${s.user}`;
  return `clients of ${s.host ?? 'every host'}`;
}

/** The subject at the start of a sentence ("User bob", "Clients of ftp1"; an address stays as it is). */
const cap = (who: string) => who.charAt(0).toUpperCase() + who.slice(1);
/** "its" for one client address, "their" for a user's or a host's clients. */
const their = (s: Subject) => (s.client !== undefined ? 'its' : 'their');

/** "ftp1", "ftp1 and ftp2", "ftp1, ftp2 and 3 more hosts". */
function listHosts(hosts: readonly string[]): string {
  if (hosts.length <= 2) return hosts.join(' and ');
  if (hosts.length === 3) return `${hosts[0]}, ${hosts[1]} and ${hosts[2]}`;
  return `${hosts[0]}, ${hosts[1]} and ${hosts.length - 2} more hosts`;
}

/** The latest change of `host` in [from, to] (a poll-found one counts from its notBefore), as its whole burst. */
function changeIn(
  changes: readonly RulesetChangeRecord[],
  host: string,
  from: number,
  to: number,
): RulesetChangeRecord[] {
  const hit = changes.filter((c) => c.host === host && (c.notBefore ?? c.at) <= to && c.at >= from).at(-1);
  return hit ? burstEndingWith(changes, hit) : [];
}

/** The diagnosis that best explains failures on `host` in [from, to]: most severe, specific, closest in time. */
function explaining(
  diagnoses: readonly DiagnosisRecord[],
  host: string,
  from: number,
  to: number,
): DiagnosisRecord | null {
  const candidates = diagnoses.filter(
    (d) =>
      d.host === host &&
      d.firstSeen <= to + DIAGNOSIS_LAG_MS &&
      (d.resolvedAt ?? Number.POSITIVE_INFINITY) >= from,
  );
  candidates.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      Number(GENERIC_KINDS.has(a.kind)) - Number(GENERIC_KINDS.has(b.kind)) ||
      Math.abs(a.firstSeen - from) - Math.abs(b.firstSeen - from),
  );
  return candidates[0] ?? null;
}

/**
 * The answer to "FTP stopped working for X around T" in one to three sentences: since when it fails, on which
 * hosts, what changed just before, the diagnosis and its fix; or that it failed and recovered; or that
 * everything worked, with counts. A pure function of the recorded history and the asker's clock and zone.
 */
export function summarize(h: History, fmt: TimeFormat): InvestigateSummary {
  const who = subjectLabel(h.subject);
  const hosts = [...new Set(h.sessions.map((s) => s.host))].sort();
  const attempts = h.sessions.flatMap((s) => s.attempts);
  const ok = attempts.filter((a) => a.outcome === 'ok');
  const stories = hosts.map((host) => hostStory(host, h.sessions, h.lastOkBefore[host]));
  const counts = {
    sessions: h.sessions.length,
    hosts: hosts.length,
    channels: attempts.length,
    ok: ok.length,
    failed: stories.reduce((n, s) => n + s.failedCount, 0),
    bytes: ok.reduce((n, a) => n + (a.bytes ?? 0), 0),
  };
  const base: InvestigateSummary = {
    status: 'idle',
    sentences: [],
    failingSince: null,
    recoveredAt: null,
    lastOkAt: null,
    failingHosts: [],
    change: null,
    diagnosis: null,
    fix: [],
    counts,
  };
  const failing = stories
    .filter((s) => s.state === 'failing')
    .sort((a, b) => (a.since ?? 0) - (b.since ?? 0));
  if (failing.length > 0) {
    const fine = stories.filter((s) => s.state === 'ok' && s.okCount > 0);
    return failingSummary(h, base, who, failing, fine, fmt);
  }
  const recovered = stories
    .filter((s) => s.state === 'recovered')
    .sort((a, b) => (b.recoveredAt ?? 0) - (a.recoveredAt ?? 0));
  if (recovered.length > 0) return recoveredSummary(h, base, who, recovered[0] as HostStory, fmt);
  if (h.sessions.length === 0) {
    return {
      ...base,
      sentences: [`No FTP sessions of ${who} between ${fmt(h.from)} and ${fmt(h.to)}.`],
    };
  }
  const on = `${plural(counts.sessions, 'session')} on ${listHosts(hosts)}`;
  if (ok.length === 0) {
    const why =
      attempts.length === 0
        ? 'none asked for a data channel (logins only, or the FTP server log is not read)'
        : `the outcome of its ${plural(attempts.length, 'data channel')} could not be told`;
    return { ...base, status: 'unclear', sentences: [`${cap(who)} had ${on} in this window, but ${why}.`] };
  }
  const undecided = attempts.length - ok.length;
  const bytes = counts.bytes > 0 ? ` (${bytesText(counts.bytes)})` : '';
  const sentences = [
    `Everything worked for ${who} in this window: ${on}, ${plural(ok.length, 'data channel')} ok${bytes}.`,
  ];
  if (undecided > 0) sentences.push(`${plural(undecided, 'other data channel')} could not be judged.`);
  return { ...base, status: 'ok', sentences };
}

function failingSummary(
  h: History,
  base: InvestigateSummary,
  who: string,
  failing: HostStory[],
  fine: HostStory[],
  fmt: TimeFormat,
): InvestigateSummary {
  const names = new RuleNames(h.rules);
  const main = failing[0] as HostStory;
  const since = main.since as number;
  const n = main.failed.length;
  const how = describeFailures(main.failed, names);
  const all = n === 1 ? `${their(h.subject)} data channel` : `all ${n} of ${their(h.subject)} data channels`;
  const started =
    main.lastOkAt !== null
      ? `${cap(who)} worked on ${main.host} until ${fmt(main.lastOkAt)}; since ${fmt(since)} ${all} there failed (${how})`
      : `Since ${fmt(since)}, ${n === 1 ? 'the only data channel' : `all ${n} data channels`} of ${who} on ${main.host} failed (${how}), and none worked before in this window`;
  const others = failing.slice(1);
  const also =
    others.length === 0
      ? ''
      : `; ${listHosts(others.map((o) => o.host))} ${others.length === 1 ? 'fails' : 'fail'} too, since ${fmt(Math.min(...others.map((o) => o.since as number)))}`;
  const okElsewhere = fine.reduce((n, f) => n + f.okCount, 0);
  const works =
    fine.length === 0
      ? ''
      : `; on ${listHosts(fine.map((f) => f.host))} ${okElsewhere === 1 ? `${their(h.subject)} data channel` : `all ${okElsewhere}`} worked`;
  const sentences = [`${started}${also}${works}.`];
  const from = main.lastOkAt !== null ? main.lastOkAt - SLACK_MS : since - BEFORE_MS;
  const burst = changeIn(h.changes, main.host, from, since + SLACK_MS);
  const first = burst[0];
  if (first) {
    const when =
      first.notBefore !== null
        ? `between ${fmt(first.notBefore)} and ${fmt(first.at)}`
        : `at ${fmt(first.at)}`;
    sentences.push(
      `Just before, ${when}, the ruleset of ${main.host} changed (${diffLabel(netDiff(burst))}).`,
    );
  }
  const d = explaining(h.diagnoses, main.host, since, h.to);
  if (d) sentences.push(diagnosisSentence(d, fmt));
  else if (sentences.length < 3) sentences.push('No diagnosis explains it yet.');
  return {
    ...base,
    status: 'failing',
    sentences,
    failingSince: new Date(since).toISOString(),
    lastOkAt: main.lastOkAt === null ? null : new Date(main.lastOkAt).toISOString(),
    failingHosts: failing.map((f) => f.host),
    change: first ? { id: first.id, host: first.host, at: new Date(first.at).toISOString() } : null,
    diagnosis: d && { id: d.id, kind: d.kind, host: d.host, title: d.title, severity: d.severity },
    fix: d?.fix ?? [],
  };
}

function recoveredSummary(
  h: History,
  base: InvestigateSummary,
  who: string,
  s: HostStory,
  fmt: TimeFormat,
): InvestigateSummary {
  const names = new RuleNames(h.rules);
  const since = s.since as number;
  const lastFail = s.lastFailAt as number;
  const back = s.recoveredAt as number;
  const fixedBy = changeIn(h.changes, s.host, lastFail - SLACK_MS, back + SLACK_MS)[0];
  const after = fixedBy ? `, after the ruleset change at ${fmt(fixedBy.at)}` : '';
  const sentences = [
    `Data channels of ${who} on ${s.host} failed from ${fmt(since)} to ${fmt(lastFail)} (${plural(s.failed.length, 'channel')}: ${describeFailures(s.failed, names)}); they work again since ${fmt(back)}${after}.`,
  ];
  const from = s.lastOkAt !== null ? s.lastOkAt - SLACK_MS : since - BEFORE_MS;
  const burst = changeIn(h.changes, s.host, from, since + SLACK_MS);
  const first = burst[0];
  if (first)
    sentences.push(
      `The failures began just after the ruleset change at ${fmt(first.at)} (${diffLabel(netDiff(burst))}).`,
    );
  const d = explaining(h.diagnoses, s.host, since, back);
  if (d) sentences.push(diagnosisSentence(d, fmt));
  return {
    ...base,
    status: 'recovered',
    sentences,
    failingSince: new Date(since).toISOString(),
    recoveredAt: new Date(back).toISOString(),
    lastOkAt: s.lastOkAt === null ? null : new Date(s.lastOkAt).toISOString(),
    failingHosts: [s.host],
    change: first ? { id: first.id, host: first.host, at: new Date(first.at).toISOString() } : null,
    diagnosis: d && { id: d.id, kind: d.kind, host: d.host, title: d.title, severity: d.severity },
    fix: d?.fix ?? [],
  };
}

/** "Diagnosis ftp-helper-not-assigned (FTP helper not assigned: …); fix: iptables … (+2 more lines)." */
function diagnosisSentence(d: DiagnosisRecord, fmt: TimeFormat): string {
  const state = d.resolvedAt !== null ? `, resolved at ${fmt(d.resolvedAt)}` : '';
  const title = d.title.replace(/\.$/, '');
  const [first, ...rest] = d.fix;
  const more = rest.length > 0 ? ` (+${plural(rest.length, 'more line')})` : '';
  const fix = first !== undefined ? `; fix: ${first}${more}` : '';
  return `Diagnosis ${d.kind} (${title}${state})${fix}.`;
}
