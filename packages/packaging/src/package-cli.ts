import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { Command, Option } from 'commander';
import type { Compression } from './deb.ts';
import { DIST_DIR, ROOT } from './layout.ts';
import { buildPackages } from './packages.ts';

/** `pnpm package` (after `pnpm build`): the collector and hub as .deb and .tar.gz in dist/. */
async function main(): Promise<void> {
  const o = new Command('package')
    .description('build ftpscope-collector and ftpscope-hub as .deb and .tar.gz (run pnpm build first)')
    .addOption(new Option('--out <dir>', 'output directory').default(DIST_DIR))
    .addOption(new Option('--fast', 'gzip -1 instead of xz (bigger files, seconds instead of a minute)'))
    .parse()
    .opts<{ out: string; fast?: boolean }>();
  const compression: Compression = o.fast ? 'fast' : 'xz';
  const started = Date.now();
  const { collector, hub, commit } = await buildPackages(o.out, compression);
  for (const f of [collector.deb, collector.tar, hub.deb, hub.tar]) {
    const mb = (statSync(f).size / 1024 / 1024).toFixed(1);
    process.stdout.write(`${relative(ROOT, f)}  ${mb} MB\n`);
  }
  process.stdout.write(`commit ${commit}, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`pnpm package: ${(err as Error).message}\n`);
  process.exit(1);
});
