import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildInfo, gitCommit } from '@ftpscope/shared/build-info';
import { bundleCollector, bundleHub } from './bundle.ts';
import { COLLECTOR_DIR, ROOT, WEB_DIR } from './layout.ts';

/** `pnpm build` (after the UI): the collector and hub bundles, stamped with version and commit. */
async function main(): Promise<void> {
  const commit = gitCommit(ROOT);
  const stamp = (dir: string) => ({ ...buildInfo(new URL(`file://${join(dir, 'package.json')}`)), commit });
  const files = [await bundleCollector(stamp(COLLECTOR_DIR)), await bundleHub(stamp(WEB_DIR))];
  for (const f of files) {
    process.stdout.write(
      `bundled ${relative(ROOT, f)} (${(statSync(f).size / 1024).toFixed(0)} KiB, commit ${commit})\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ftpscope build: ${(err as Error).message}\n`);
  process.exit(1);
});
