import type { TraceView } from '@ftpscope/shared';
import type { TraceRecord } from '../store/index.ts';

/** Renders a trace record as the API view. */
export function toTraceView(t: TraceRecord): TraceView {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: t.id,
    host: t.host,
    client: t.client,
    state: t.endedAt === null ? 'running' : 'done',
    startedAt: iso(t.startedAt),
    endedAt: t.endedAt === null ? null : iso(t.endedAt),
    durationMs: t.durationMs,
    endReason: t.endReason,
    error: t.error,
    packets: t.packets,
    pcapBytes: t.pcapBytes,
    tls: t.tls,
    requestedBy: t.requestedBy,
    steps: t.steps,
  };
}
