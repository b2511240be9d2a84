import type { Bench } from '../lib/figure.ts';
import { conntrackListing } from './01-conntrack-listing.ts';
import { eventLoad } from './02-event-load.ts';
import { rulePoll } from './03-rule-poll.ts';
import { hubIngest } from './04-hub-ingest.ts';
import { endToEnd } from './05-end-to-end.ts';
import { historyQueries } from './06-history-queries.ts';
import { uiHostView } from './07-ui-host-view.ts';
import { memorySoak } from './08-memory-soak.ts';
import { rulesetChange } from './09-ruleset-change.ts';
import { observeCost } from './10-observe.ts';
import { packagedCollector } from './11-packaged-collector.ts';
import { postgres } from './12-postgres.ts';
import { mixedHost } from './13-mixed-host.ts';

/** Every benchmark, in the numbering of issue 7 / docs/benchmarks.md (10: issue 12's observation table; 12: PostgreSQL, issue 17; 13: the mixed host, issue 15). */
export const BENCHES: Bench[] = [
  conntrackListing,
  eventLoad,
  rulePoll,
  hubIngest,
  endToEnd,
  historyQueries,
  uiHostView,
  memorySoak,
  rulesetChange,
  observeCost,
  packagedCollector,
  postgres,
  mixedHost,
];
