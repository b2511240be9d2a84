import { EventEmitter } from 'node:events';
import type {
  Backend,
  CollectorEvent,
  Diagnosis,
  TraceEnd,
  TracePcap,
  TraceSteps,
  TraceView,
} from '@ftpscope/shared';

/** What happened in the hub, after it was committed: the live fan-out and the diagnoses engine listen here. */
export interface HubEventMap {
  /** A batch of a host was stored (never emitted for resends). */
  batch: [host: string, events: CollectorEvent[]];
  /** A collector for this host connected (with the backends its hello named) or went away. */
  host: [host: string, connected: boolean, at: number, backends: Backend[]];
  /** A diagnosis opened, changed or resolved. */
  diagnosis: [diagnosis: Diagnosis];
  /** A collector sent a message about a trace (validated against the protocol, not yet against the trace). */
  traceMessage: [host: string, msg: TraceSteps | TracePcap | TraceEnd];
  /** A trace started, progressed or ended (its current state, for the live channel). */
  trace: [host: string, trace: TraceView];
}

/** The hub's in-process event bus. */
export class HubEvents extends EventEmitter<HubEventMap> {}
