import type { Lab } from '@ftpscope/lab';

const open = (ip: string) =>
  `set ftp:passive-mode on; set cache:enable no; open -u anonymous,lab@ ftp://${ip}`;

/** Bench 2's load: `sessions` lftp sessions each listing `n` times (one short passive data connection each). */
export async function listingsLoad(lab: Lab, ip: string, n: number, sessions = 4): Promise<void> {
  const script = `${open(ip)}; ${'cls > /dev/null; '.repeat(n)}quit`;
  const res = await Promise.all(
    Array.from({ length: sessions }, () => lab.exec('client', ['lftp', '-c', script])),
  );
  const failed = res.find((r) => r.code !== 0);
  if (failed) throw new Error(`lftp failed: ${failed.stderr.slice(0, 300)}`);
}

/** Bench 13's FTP part: `n` lftp sessions started 10 a second, each a login and one listing. */
export async function loginsLoad(lab: Lab, ip: string, n: number): Promise<void> {
  const loop = `for i in $(seq ${n}); do timeout 20 lftp -c "${open(ip)}; cls > /dev/null" & sleep 0.1; done; wait`;
  await lab.exec('client', ['bash', '-c', loop]);
}
