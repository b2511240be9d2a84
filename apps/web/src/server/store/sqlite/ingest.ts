import { type Batch, type CollectorEvent, rulesetChangeId } from '@ftpscope/shared';
import type { Db } from './db.ts';
import type { EventsRepo } from './events.ts';
import type { HostsRepo } from './hosts.ts';
import type { RulesRepo } from './rules.ts';
import type { SessionsRepo } from './sessions.ts';
import type { StreamsRepo } from './streams.ts';

/** The repositories a batch writes to. */
export interface IngestRepos {
  hosts: HostsRepo;
  streams: StreamsRepo;
  sessions: SessionsRepo;
  rules: RulesRepo;
  events: EventsRepo;
}

/**
 * Stores one batch and advances the stream's sequence in ONE transaction, so a batch is either fully stored
 * and acknowledged or not at all. Returns false for a sequence already stored (a resend): nothing is written.
 */
export function createBatchWriter(db: Db, repos: IngestRepos) {
  // better-sqlite3 is synchronous: the transaction holds the only connection, so batches never interleave.
  const apply = db.transaction((host: string, streamId: string, batch: Batch, now: number): boolean => {
    if (batch.seq <= repos.streams.lastSeq(host, streamId)) return false;
    for (const event of batch.events) applyEvent(repos, host, event, now, batch.sentAt);
    repos.streams.setLastSeq(host, streamId, batch.seq, now);
    repos.hosts.touch(host, now);
    return true;
  });
  return (host: string, streamId: string, batch: Batch, now: number): boolean =>
    apply.immediate(host, streamId, batch, now);
}

function applyEvent(repos: IngestRepos, host: string, e: CollectorEvent, now: number, sentAt: number): void {
  switch (e.kind) {
    case 'session':
      repos.sessions.upsertSession(host, e.session);
      return;
    case 'expectation':
      // The collector framed the batch at sentAt (its clock, like createdAt): the timeout counts from there.
      repos.sessions.upsertExpectation(host, e.expectation, sentAt);
      return;
    case 'data':
      repos.sessions.upsertData(host, e.data);
      return;
    case 'sync':
      repos.sessions.sync(host, e.at, e.activeSessionIds);
      return;
    case 'ruleset':
      repos.rules.applyRuleset(host, e.at, e.rules, e.diff, e.notBefore ?? null, rulesetChangeId(e));
      return;
    case 'counters':
      repos.rules.applyCounters(host, e.at, e.counters);
      return;
    case 'drop':
      repos.events.insertDrop(host, e.drop);
      return;
    case 'health':
      repos.events.insertHealth(host, e.health);
      return;
    case 'settings':
      repos.events.upsertSettings(host, now, e.settings);
      return;
    case 'gap':
      repos.events.insertGap(host, e.gap);
      return;
    case 'firewall':
      repos.events.upsertFirewall(host, now, e.firewall);
      return;
  }
}
