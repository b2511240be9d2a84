/**
 * Records what the collector reads under bench 2's load, for replay-model.ts:
 *   pnpm tsx bench/tools/record-load.ts OUT_DIR [N]
 * 4 lftp sessions × N passive listings on a lab host (helper assigned) while the native reader runs there;
 * writes OUT_DIR/reader.txt (its output lines, receive time included) and OUT_DIR/vsftpd.log (the server's log
 * of the same minute, with the login of each session) and OUT_DIR/meta.json (the passive range).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { locateCtReader } from '../../apps/collector/src/sources/ctreader-locate.ts';
import { listingsLoad } from '../lib/ftp-load.ts';
import { withLab } from '../lib/lab.ts';

const [outArg, nArg] = process.argv.slice(2);
if (!outArg) {
  console.error('usage: pnpm tsx bench/tools/record-load.ts OUT_DIR [N]');
  process.exit(2);
}
const out = resolve(outArg);
const n = Number(nArg ?? 1000);
mkdirSync(out, { recursive: true });
const reader = (await locateCtReader(null)).path;
if (!reader) throw new Error('no native reader: run bash scripts/build-native.sh');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await withLab({ name: 'rec', hosts: 1, profile: 'healthy' }, async (lab) => {
  const host = lab.host('ftp1');
  writeFileSync(host.logFile, '');
  const file = createWriteStream(join(out, 'reader.txt'));
  const range = host.passiveRange.join('-');
  const child = spawn(
    'ip',
    ['netns', 'exec', host.netns, reader, 'events', '--ports', '21', '--passive', range],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  child.stdout.pipe(file);
  try {
    await sleep(1000);
    const t0 = performance.now();
    await listingsLoad(lab, host.ip, n);
    const s = (performance.now() - t0) / 1000;
    await sleep(1000);
    console.log(`${((4 * n) / s).toFixed(0)} data conn/s`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => file.end(r));
  }
  copyFileSync(host.logFile, join(out, 'vsftpd.log'));
  writeFileSync(
    join(out, 'meta.json'),
    `${JSON.stringify({ passiveRange: host.passiveRange, ftpPorts: [21] })}\n`,
  );
  const size = (f: string) => `${(statSync(join(out, f)).size / 1e6).toFixed(1)} MB`;
  console.log(`record-load: ${out}/reader.txt (${size('reader.txt')}), vsftpd.log (${size('vsftpd.log')})`);
});
