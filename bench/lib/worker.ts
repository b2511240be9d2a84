import { spawn } from 'node:child_process';

/**
 * Runs a TypeScript worker in its own Node process (clean memory and CPU accounting) and returns the JSON
 * it prints last on stdout. `onStart` gets the pid so the caller can sample it.
 */
export function runWorker<T>(
  file: string,
  args: string[],
  opts: { nodeArgs?: string[]; onStart?: (pid: number) => void; timeoutMs?: number } = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', file, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.pid !== undefined) opts.onStart?.(child.pid);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`worker ${file} exited with ${code}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`worker ${file} printed no JSON result`));
      }
    });
  });
}

/** Prints a worker's result as the last stdout line (read by runWorker). */
export function reply(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
