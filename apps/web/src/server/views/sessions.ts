import type { DataChannelAttempt, DataChannelAttemptView, SessionView } from '@ftpscope/shared';
import type { SessionRecord } from '../store/index.ts';
import { iso, isoOrNull } from './iso.ts';

/** A session with its expectations and data connections, times in ISO. */
export function toSessionView(s: SessionRecord): SessionView {
  return {
    id: s.id,
    host: s.host,
    client: s.client,
    server: s.server,
    state: s.state,
    helper: s.helper,
    user: s.user,
    mode: s.mode,
    tls: s.tls,
    startedAt: iso(s.startedAt),
    endedAt: isoOrNull(s.endedAt),
    requestedHost: s.requestedHost,
    attempts: s.attempts.map(toAttemptView),
    expectations: s.expectations.map((e) => ({
      id: e.id,
      port: e.port,
      mode: e.mode,
      createdAt: iso(e.createdAt),
      timeout: e.timeout,
      seenAt: iso(e.seenAt),
      fulfilledAt: isoOrNull(e.fulfilledAt),
      expiredAt: isoOrNull(e.expiredAt),
    })),
    dataConnections: s.dataConnections.map((d) => ({
      id: d.id,
      clientPort: d.clientPort,
      serverPort: d.serverPort,
      mode: d.mode,
      attribution: d.attribution,
      established: d.established,
      startedAt: iso(d.startedAt),
      endedAt: isoOrNull(d.endedAt),
      bytes: d.bytes,
    })),
  };
}

/** A data-channel attempt, times in ISO. */
export function toAttemptView(a: DataChannelAttempt): DataChannelAttemptView {
  return { ...a, askedAt: iso(a.askedAt), settledAt: isoOrNull(a.settledAt) };
}
