import { describe, expect, it } from 'vitest';
import { maskFtpCommand } from './dialogue.ts';

describe('maskFtpCommand', () => {
  it('masks the argument of PASS and ACCT in any case, keeping nothing of its length', () => {
    expect(maskFtpCommand('PASS hunter2')).toBe('PASS ****');
    expect(maskFtpCommand('pass a much longer secret with spaces')).toBe('PASS ****');
    expect(maskFtpCommand('ACCT billing-42')).toBe('ACCT ****');
    expect(maskFtpCommand('PASS')).toBe('PASS ****');
    expect(maskFtpCommand('PASS\tx')).toBe('PASS ****');
  });

  it('leaves every other command as it is, including ones that merely start with the same letters', () => {
    for (const c of ['PASV', 'USER bob', 'RETR PASS.txt', 'PASSX y', 'LIST', 'EPSV'])
      expect(maskFtpCommand(c)).toBe(c);
  });
});
