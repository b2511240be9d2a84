import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../apps/collector/src/main.ts', import.meta.url));
const DIST = fileURLToPath(new URL('../../apps/collector/dist/', import.meta.url));

/**
 * The collector as it ships: a bundle run by plain node (FTPSCOPE_BENCH_COLLECTOR, or apps/collector/dist/
 * from `pnpm build`), else the TypeScript source through tsx (whose loader adds ~25 MB RSS and start-up CPU).
 */
export function collectorEntry(): { argv: string[]; bundled: boolean } {
  const bundle =
    process.env.FTPSCOPE_BENCH_COLLECTOR ??
    ['ftpscope-collector.mjs'].map((f) => DIST + f).find((f) => existsSync(f));
  return bundle ? { argv: [bundle], bundled: true } : { argv: ['--import', 'tsx', MAIN], bundled: false };
}

/** A real collector process (the CLI) streaming one lab namespace to a hub. */
export interface RunningCollector {
  pid: number;
  stop(): Promise<void>;
}

/** Starts `pnpm collector`'s entry point with the given flags; stderr (its logs) is dropped unless asked. */
export function startCollector(
  args: string[],
  opts: { nodeArgs?: string[]; logs?: boolean } = {},
): RunningCollector {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...collectorEntry().argv, ...args], {
    stdio: ['ignore', 'ignore', opts.logs ? 'inherit' : 'ignore'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    pid: child.pid as number,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
