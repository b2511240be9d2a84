import type { Diagnosis } from '@ftpscope/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AlertOutbox } from './alert-outbox.ts';
import type { Transition } from './lifecycle.ts';
import { DiagnosisService } from './service.ts';
import { AlertWebhook } from './webhook.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The diagnosis engine: evaluates every connected host each second. */
    diagnoses: DiagnosisService;
    /** The alert outbox sender; null without --alert-webhook. */
    alertOutbox: AlertOutbox | null;
  }
}

/** Options of the diagnoses plugin. */
export interface DiagnosesPluginOptions {
  /** `--alert-webhook URL`. */
  alertWebhook?: string;
  /** Evaluation period; default 1000 ms. 0 = no timer (tests call app.diagnoses.evaluateAll). */
  intervalMs?: number;
  /** `--private-nets`: networks clients elsewhere cannot reach. */
  privateNets?: readonly string[];
}

/** An unchanged active diagnosis is re-stored and re-published at most this often (lastSeen moves every second). */
const REFRESH_MS = 10_000;

/** What, besides lastSeen, makes an update worth publishing at once. */
const signature = (d: Diagnosis) => `${d.severity}|${d.title}|${d.explanation}|${d.evidence.length}`;

/**
 * Runs the diagnoses in the hub: listens to committed batches and host connects on the hub's event bus,
 * evaluates the hosts whose lease this hub holds, stores every opened/resolved/changed diagnosis with its
 * alert in the outbox (one transaction), publishes it as a `diagnosis` hub event, and sends the outbox.
 */
export default fp(
  async (app: FastifyInstance, opts: DiagnosesPluginOptions) => {
    const published = new Map<string, { at: number; sig: string }>();
    const outbox = opts.alertWebhook
      ? new AlertOutbox({
          store: app.store.alerts,
          webhook: new AlertWebhook({ url: opts.alertWebhook, log: app.log }),
          log: app.log,
          now: app.now,
        })
      : null;
    const onTransition = async ({ event, diagnosis: d }: Transition) => {
      const last = published.get(d.id);
      const sig = signature(d);
      if (event === 'updated' && last && last.sig === sig && d.lastSeen - last.at < REFRESH_MS) return;
      if (event === 'resolved') published.delete(d.id);
      else published.set(d.id, { at: d.lastSeen, sig });
      // A store that is down loses an update (the next evaluation stores it again), never half a transition.
      await app.store.diagnoses.record(d, outbox && event !== 'updated' ? event : null, app.now());
      app.hubEvents.emit('diagnosis', d);
      if (event !== 'updated') outbox?.kick();
    };
    const service = new DiagnosisService({
      log: app.log,
      now: app.now,
      onTransition,
      store: {
        acquire: (hosts, now, ttlMs) => app.store.leases.acquire(hosts, now, ttlMs),
        release: (host) => app.store.leases.release(host),
        active: (host) => app.store.diagnoses.list({ host, active: true, limit: 10_000 }),
      },
      ...(opts.intervalMs !== undefined && { intervalMs: opts.intervalMs }),
      ...(opts.privateNets !== undefined && { privateNets: opts.privateNets }),
    });
    app.decorate('diagnoses', service);
    app.decorate('alertOutbox', outbox);
    app.hubEvents.on('batch', (host, events) => service.ingest(host, events));
    app.hubEvents.on('host', (host, connected, _at, backends) => {
      if (connected) service.hostConnected(host, backends);
      else service.hostDisconnected(host);
    });
    app.addHook('onReady', async () => {
      if (opts.intervalMs !== 0) service.start();
      outbox?.start();
    });
    app.addHook('onClose', async () => {
      await service.stop();
      await outbox?.stop();
    });
  },
  { name: 'ftpscope-diagnoses', dependencies: ['ftpscope-db', 'ftpscope-ingest'] },
);
