import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CTREADER_NAME, defaultCandidates, locateCtReader } from './ctreader-locate.ts';

const BUILT = join(import.meta.dirname, '../../native/build', CTREADER_NAME);
const dir = mkdtempSync(join(tmpdir(), 'ftpscope-locate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

describe('locateCtReader', () => {
  it('finds the reader scripts/build-native.sh built, and checks it runs', async () => {
    const c = await locateCtReader(null);
    expect(c).toEqual({ path: BUILT, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('looks next to the running file first (a bundle ships the reader beside itself), then in native/build', () => {
    const c = defaultCandidates('file:///opt/ftpscope-collector/lib/collector.js');
    expect(c).toEqual([
      `/opt/ftpscope-collector/lib/${CTREADER_NAME}`,
      `/opt/ftpscope-collector/native/build/${CTREADER_NAME}`,
      `/opt/native/build/${CTREADER_NAME}`,
    ]);
  });

  it('falls back to the conntrack tool, saying why, when the reader is off, missing, or does not run', async () => {
    expect(await locateCtReader('off')).toMatchObject({
      path: null,
      reason: expect.stringMatching(/--ctreader off/),
    });
    expect(await locateCtReader(join(dir, 'nope'))).toEqual({
      path: null,
      reason: `--ctreader ${join(dir, 'nope')}: no such executable file`,
    });
    expect(await locateCtReader(null, undefined, [join(dir, 'nope')])).toMatchObject({
      path: null,
      reason: expect.stringMatching(/not built.*scripts\/build-native\.sh/),
    });
    // What the dynamic loader says when libnetfilter_conntrack is not installed.
    const broken = script(
      'broken',
      'echo "ftpscope-ctreader: error while loading shared libraries: libnetfilter_conntrack.so.3: cannot open shared object file" >&2; exit 127',
    );
    expect(await locateCtReader(broken)).toEqual({
      path: null,
      reason: expect.stringMatching(/does not run: .*libnetfilter_conntrack\.so\.3/),
    });
    // Something else entirely under that name.
    expect(await locateCtReader(script('other', 'echo hello'))).toMatchObject({ path: null });
  });
});
