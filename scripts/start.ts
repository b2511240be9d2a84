import { hostname } from 'node:os';
import { resolve } from 'node:path';
import {
  buildUiIfNeeded,
  DATA_DIR,
  printWelcome,
  startCollector,
  startHub,
  stopStack,
  untilSignal,
} from './run-stack.ts';

/** `pnpm start`: the hub serving the UI, plus a collector for this host. Works without root (the collector says what it cannot read). */
async function main(): Promise<void> {
  buildUiIfNeeded();
  const port = Number(process.env.FTPSCOPE_PORT ?? 8080);
  // Another data dir lets a second stack (or an unprivileged user) run beside the default one.
  const dataDir = resolve(process.env.FTPSCOPE_DATA_DIR || DATA_DIR);
  const stack = await startHub(dataDir, port);
  const name =
    hostname()
      .split('.')[0]
      ?.replace(/[^A-Za-z0-9._-]/g, '-') || 'localhost';
  startCollector(stack, dataDir, ['--name', name]);
  printWelcome(stack, [`Collector for this host: ${name}`]);
  untilSignal(() => stopStack(stack));
}

main().catch((err: unknown) => {
  console.error(`ftpscope start: ${(err as Error).message}`);
  process.exit(1);
});
