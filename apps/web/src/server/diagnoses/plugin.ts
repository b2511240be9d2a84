import type { Diagnosis } from '@ftpscope/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Transition } from './lifecycle.ts';
import { DiagnosisService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The diagnosis engine: evaluates every connected host each second. */
    diagnoses: DiagnosisService;
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
 * Runs the diagnoses in the hub: listens to committed batches and host connects on the hub's event
 * bus, stores every opened/resolved/changed diagnosis, publishes it as a `diagnosis` hub event (live
 * fan-out) and alerts the webhook.
 */
export default fp(
  async (app: FastifyInstance, opts: DiagnosesPluginOptions) => {
    const published = new Map<string, { at: number; sig: string }>();
    const restore = await app.store.diagnoses.list({ active: true, limit: 10_000 });
    const onTransition = ({ event, diagnosis: d }: Transition) => {
      const last = published.get(d.id);
      const sig = signature(d);
      if (event === 'updated' && last && last.sig === sig && d.lastSeen - last.at < REFRESH_MS) return;
      if (event === 'resolved') published.delete(d.id);
      else published.set(d.id, { at: d.lastSeen, sig });
      // Published once stored; a store that is down loses the update, the next evaluation stores it again.
      app.store.diagnoses.upsert(d).then(
        () => app.hubEvents.emit('diagnosis', d),
        (err: unknown) => app.log.error({ err, id: d.id }, 'storing a diagnosis failed'),
      );
    };
    const service = new DiagnosisService({
      log: app.log,
      webhookUrl: opts.alertWebhook ?? null,
      now: app.now,
      restore,
      onTransition,
      ...(opts.intervalMs !== undefined && { intervalMs: opts.intervalMs }),
      ...(opts.privateNets !== undefined && { privateNets: opts.privateNets }),
    });
    app.decorate('diagnoses', service);
    app.hubEvents.on('batch', (host, events) => service.ingest(host, events));
    app.hubEvents.on('host', (host, connected, _at, backends) => {
      if (connected) service.hostConnected(host, backends);
      else service.hostDisconnected(host);
    });
    app.addHook('onReady', async () => {
      if (opts.intervalMs !== 0) service.start();
    });
    app.addHook('onClose', async () => {
      await service.stop();
    });
  },
  { name: 'ftpscope-diagnoses', dependencies: ['ftpscope-db', 'ftpscope-ingest'] },
);
