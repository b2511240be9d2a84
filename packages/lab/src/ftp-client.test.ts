import { describe, expect, it } from 'vitest';
import { curlArgv, lftpArgv } from './ftp-client.ts';

describe('ftp client argv', () => {
  it('drives lftp with a script (no shell) in the requested mode, with short timeouts', () => {
    const argv = lftpArgv({ kind: 'ls' }, '198.18.1.11', { mode: 'passive', timeoutMs: 8000 });
    expect(argv[0]).toBe('lftp');
    expect(argv[1]).toBe('-c');
    expect(argv[2]).toContain('set ftp:passive-mode on');
    expect(argv[2]).toContain('set ftp:auto-passive-mode off');
    expect(argv[2]).toContain('set net:timeout 2');
    expect(argv[2]).toContain('open -u "anonymous,lab@" ftp://198.18.1.11');
    expect(lftpArgv({ kind: 'ls' }, '198.18.1.11', { mode: 'active' })[2]).toContain(
      'set ftp:passive-mode off',
    );
  });

  it('quotes file names inside the lftp script', () => {
    const argv = lftpArgv({ kind: 'get', file: 'a "b"; quit', dest: '/tmp/x' }, '2001:2:0:1::11', {
      mode: 'passive',
    });
    expect(argv[2]).toContain('get "a \\"b\\"; quit" -o "/tmp/x"');
    expect(argv[2]).toContain('ftp://[2001:2:0:1::11]');
  });

  it('drives curl with --ftp-pasv or --ftp-port -', () => {
    expect(curlArgv({ kind: 'ls' }, '198.18.1.11', { mode: 'passive' })).toContain('--ftp-pasv');
    const active = curlArgv({ kind: 'ls' }, '198.18.1.11', { mode: 'active', asUser: true });
    expect(active.slice(active.indexOf('--ftp-port'), active.indexOf('--ftp-port') + 2)).toEqual([
      '--ftp-port',
      '-',
    ]);
    expect(active).toContain('ftpscope-lab:ftpscope-lab');
    expect(curlArgv({ kind: 'login' }, '198.18.1.11', { mode: 'passive' })).toEqual(
      expect.arrayContaining(['-Q', 'NOOP']),
    );
  });
});
