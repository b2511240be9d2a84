import type { TraceStep, TraceView } from '@ftpscope/shared';

/** One row of the ladder diagram: an arrow between client and server in a lane, or a note across both. */
export interface LadderRow {
  n: number;
  at: number;
  lane: 'control' | 'data' | 'note';
  /** right: client → server; left: server → client; none: a note. */
  dir: 'right' | 'left' | 'none';
  label: string;
  /** The explanation under the arrow (data SYNs, notes). */
  detail: string | null;
  /** The failing step: drawn in red with its explanation. */
  bad: boolean;
  /** A negotiated data endpoint: highlighted, it is what the next data SYN should go to. */
  endpoint: boolean;
}

const FAILED = new Set(['dropped', 'no-reply', 'reset', 'rejected', 'not-sent']);

function row(s: TraceStep, client: string): LadderRow {
  const base = { n: s.n, at: s.at, detail: null, bad: false, endpoint: false };
  switch (s.kind) {
    case 'command':
      return { ...base, lane: 'control', dir: 'right', label: s.text };
    case 'reply':
      // 4xx/5xx replies fail the command; 425/426 are a data connection that did not open.
      return { ...base, lane: 'control', dir: 'left', label: s.text, bad: s.code >= 400 && s.code !== 530 };
    case 'endpoint':
      return {
        ...base,
        lane: 'control',
        dir: s.mode === 'passive' ? 'left' : 'right',
        label: `${s.via}: ${s.mode} data ${s.mode === 'passive' ? 'to' : 'from the server to'} ${s.ip}:${s.port}`,
        endpoint: true,
      };
    case 'syn': {
      const tries = s.attempts > 1 ? ` ×${s.attempts}` : '';
      const fate = s.fate === 'dropped' && s.rule ? `dropped by ${s.rule.label}` : s.fate.replace('-', ' ');
      return {
        ...base,
        lane: 'data',
        dir: s.src === client ? 'right' : 'left',
        label: `SYN ${s.src}:${s.sport || '?'} → ${s.dst}:${s.dport}${tries}: ${fate}`,
        detail: s.explanation,
        bad: FAILED.has(s.fate),
      };
    }
    case 'note':
      return { ...base, lane: 'note', dir: 'none', label: s.text, bad: s.level === 'error' };
  }
}

/** The ladder rows of a trace, in time order (then step order). */
export function ladderRows(t: Pick<TraceView, 'steps' | 'client'>): LadderRow[] {
  return t.steps.map((s) => row(s, t.client)).sort((a, b) => a.at - b.at || a.n - b.n);
}

/** A one-line verdict for the top of the trace: the first failing data step, or that data got through. */
export function traceVerdict(t: Pick<TraceView, 'steps' | 'client' | 'tls' | 'state'>): {
  bad: boolean;
  text: string;
} {
  const rows = ladderRows(t);
  const failed = rows.find((r) => r.lane === 'data' && r.bad);
  if (failed) return { bad: true, text: failed.detail ?? failed.label };
  const data = rows.filter((r) => r.lane === 'data');
  if (data.length > 0)
    return {
      bad: false,
      text: `${data.length} data connection${data.length === 1 ? '' : 's'} seen, all answered.`,
    };
  const running = t.state === 'running';
  return {
    bad: false,
    text: running
      ? `Waiting for ${t.client} to use FTP on this host: start a transfer or a listing now.`
      : `No data connection was tried by ${t.client} during the trace.`,
  };
}
