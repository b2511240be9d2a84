/**
 * A real hub (buildApp, its own SQLite file or a postgres:// database) in its own process, so its CPU and RSS
 * can be sampled by pid. argv: DB_FILE|POSTGRES_URL COLLECTOR_TOKEN API_TOKEN [HUB_ID]. Prints {"port":N} once
 * listening on 127.0.0.1. Serves the UI from $BENCH_UI_DIR when set.
 */
import { buildApp } from '../../apps/web/src/server/app.ts';
import { CollectorAuth } from '../../apps/web/src/server/ingest/collector-auth.ts';

const [db = '', collectorToken = '', apiToken = '', hubId = 'bench-hub'] = process.argv.slice(2);
const app = await buildApp({
  ...(db.startsWith('postgres') ? { store: db } : { db }),
  hubId,
  apiToken,
  ...(process.env.BENCH_UI_DIR && { uiDir: process.env.BENCH_UI_DIR }),
  collectorAuth: CollectorAuth.single(collectorToken),
  retentionIntervalMs: 0,
  // Benchmarks push far beyond a real collector's rate; the flood limit is tested elsewhere.
  collectorRate: 1_000_000,
});
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);
const close = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', close);
process.on('SIGINT', close);
