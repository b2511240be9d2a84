import { hostname } from 'node:os';
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
  const stack = await startHub(DATA_DIR, port);
  const name =
    hostname()
      .split('.')[0]
      ?.replace(/[^A-Za-z0-9._-]/g, '-') || 'localhost';
  startCollector(stack, DATA_DIR, ['--name', name]);
  printWelcome(stack, [`Collector for this host: ${name}`]);
  untilSignal(() => stopStack(stack));
}

main().catch((err: unknown) => {
  console.error(`ftpscope start: ${(err as Error).message}`);
  process.exit(1);
});
