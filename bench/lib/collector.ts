import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../apps/collector/src/main.ts', import.meta.url));

/**
 * The collector as it ships: the bundle bench/run.ts builds from this checkout (FTPSCOPE_BENCH_COLLECTOR) run
 * by plain node, else the TypeScript source through tsx (whose loader adds ~25 MB RSS and start-up CPU).
 */
export function collectorEntry(): { argv: string[]; bundled: boolean } {
  const bundle = process.env.FTPSCOPE_BENCH_COLLECTOR;
  return bundle ? { argv: [bundle], bundled: true } : { argv: ['--import', 'tsx', MAIN], bundled: false };
}

/** A real collector process (the CLI) streaming one lab namespace to a hub. */
export interface RunningCollector {
  pid: number;
  stop(): Promise<void>;
}

/** Starts `pnpm collector`'s entry point with the given flags; its output (logs, Node's traces) is dropped unless asked. */
export function startCollector(
  args: string[],
  opts: { nodeArgs?: string[]; logs?: boolean } = {},
): RunningCollector {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...collectorEntry().argv, ...args], {
    stdio: ['ignore', opts.logs ? 'inherit' : 'ignore', opts.logs ? 'inherit' : 'ignore'],
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
