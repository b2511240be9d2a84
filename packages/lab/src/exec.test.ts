import { describe, expect, it } from 'vitest';
import { LabError } from './errors.ts';
import { requireBinaries, run, runOk, which } from './exec.ts';

describe('exec', () => {
  it('names the Debian package of a missing binary', () => {
    expect(() => requireBinaries(['sh', 'no-such-tool-xyz'])).toThrow(
      /missing no-such-tool-xyz.*apt-get install -y no-such-tool-xyz/,
    );
    expect(which('sh')).toMatch(/\/sh$/);
  });

  it('turns a missing command into a LabError instead of crashing', async () => {
    await expect(run(['no-such-tool-xyz'])).rejects.toMatchObject({
      code: 'FTPSCOPE_ERR_LAB_MISSING_BINARY',
    });
  });

  it('passes arguments without a shell and feeds stdin', async () => {
    const res = await run(['cat'], { input: '$(echo no) ; `x`' });
    expect(res.stdout).toBe('$(echo no) ; `x`');
    const echo = await run(['echo', '$HOME;', '*']);
    expect(echo.stdout).toBe('$HOME; *\n');
  });

  it('kills a command that runs past its timeout', async () => {
    const res = await run(['sleep', '5'], { timeoutMs: 100 });
    expect(res.timedOut).toBe(true);
    expect(res.durationMs).toBeLessThan(2000);
  });

  it("reports a failing command's stderr", async () => {
    const err = await runOk(['ls', '/no/such/dir']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).message).toMatch(/`ls \/no\/such\/dir` failed: .*No such file/);
  });
});
