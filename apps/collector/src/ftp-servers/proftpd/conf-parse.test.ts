import { describe, expect, it } from 'vitest';
import { fixtureIo } from '../../../test/fixtures.ts';
import { expandProftpdConf, logicalLines } from './conf-expand.ts';
import { parseProftpdConf } from './conf-parse.ts';
import { proftpd } from './index.ts';

const V = 'proftpd/1.3.8';

describe('ProFTPD config (1.3.8, recorded from the lab and Debian)', () => {
  it("reads the lab's config through its Include glob: port, passive range, addresses, logs with their LogFormat", async () => {
    const io = fixtureIo({
      '/srv/ftp/proftpd.conf': `${V}/lab-proftpd.conf`,
      '/srv/ftp/proftpd.d': `${V}/lab-proftpd.d`,
    });
    const cfg = await proftpd.load({ configPath: '/srv/ftp/proftpd.conf', argv: [], source: 'flag' }, io);
    expect(cfg.unknown).toBe(0);
    expect(cfg.problems).toEqual([]);
    expect(cfg.settings).toMatchObject({
      server: 'proftpd',
      source: 'flag',
      listenPort: 21,
      controlPorts: [21],
      ipv6: true,
      pasvEnabled: true,
      pasvMinPort: 40100,
      pasvMaxPort: 40199,
      pasvAddress: null,
      listenAddress: '198.18.1.11',
      tls: false,
      tlsMode: 'off',
      portEnabled: true,
    });
    expect(cfg.logs.map((l) => [l.format, l.path])).toEqual([
      ['ExtendedLog', '/srv/ftp/proftpd-extended.log'],
      ['xferlog', '/srv/ftp/proftpd.xferlog'],
    ]);
  });

  it('reads TLS from the included tls.conf once mod_tls is loaded', async () => {
    const io = fixtureIo({
      '/srv/ftp/proftpd.conf': `${V}/lab-tls-proftpd.conf`,
      '/srv/ftp/proftpd.d': `${V}/lab-tls-proftpd.d`,
    });
    const { lines } = await expandProftpdConf('/srv/ftp/proftpd.conf', io);
    const cfg = parseProftpdConf(lines, '/srv/ftp/proftpd.conf');
    expect(cfg.settings).toMatchObject({ tls: true, tlsMode: 'optional', tlsImplicit: false });
  });

  it("reads Debian's default config: modules.conf included, a missing conf.d is a problem, not a failure", async () => {
    const io = fixtureIo({
      '/etc/proftpd/proftpd.conf': `${V}/debian/proftpd.conf`,
      '/etc/proftpd/modules.conf': `${V}/debian/modules.conf`,
    });
    const cfg = await proftpd.load({ configPath: '/etc/proftpd/proftpd.conf', argv: [], source: 'path' }, io);
    expect(cfg.unknown).toBe(0);
    expect(cfg.problems.join('\n')).toMatch(/conf\.d/);
    expect(cfg.settings).toMatchObject({ listenPort: 21, ipv6: true, pasvMinPort: null, tls: false });
    expect(cfg.logs.map((l) => l.path)).toEqual(['/var/log/proftpd/xferlog']);
  });

  it('keeps directives of modules that are not loaded, <IfDefine>, <Anonymous> and <VirtualHost> out of the main settings', () => {
    const text = [
      'LoadModule mod_ctrls_admin.c',
      'Port 2121',
      '<IfModule mod_tls.c>',
      '  TLSEngine on',
      '</IfModule>',
      '<IfModule !mod_tls.c>',
      '  MasqueradeAddress 203.0.113.7',
      '</IfModule>',
      '<IfDefine NAT>',
      '  PassivePorts 1 2',
      '</IfDefine>',
      '<Limit EPRT PORT>',
      '  DenyAll',
      '</Limit>',
      '<VirtualHost 198.18.0.9>',
      '  Port 990',
      '  PassivePorts 50000 50010',
      '  TLSEngine on \\',
      '    extra',
      '</VirtualHost>',
      'TransferLog NONE',
      '</Global>',
    ].join('\n');
    const cfg = parseProftpdConf(logicalLines(text, 'x'), 'x');
    expect(cfg.settings).toMatchObject({
      listenPort: 2121,
      controlPorts: [2121, 990],
      tls: false,
      pasvAddress: '203.0.113.7',
      pasvMinPort: null,
      portEnabled: false,
    });
    expect(cfg.logs.transfer).toBeNull();
    expect(cfg.unknown).toBe(1);
  });

  it('reads implicit FTPS and TLSRequired', () => {
    const cfg = parseProftpdConf(
      logicalLines('TLSEngine on\nTLSRequired on\nTLSOptions NoSessionReuseRequired UseImplicitSSL\n', 'x'),
      'x',
    );
    expect(cfg.settings).toMatchObject({ tlsMode: 'required', tlsImplicit: true });
  });

  it('finds -c in a command line that was not rewritten', () => {
    expect(proftpd.configFromArgv(['proftpd', '-n', '-c', '/etc/p.conf'])).toBe('/etc/p.conf');
    expect(proftpd.configFromArgv(['proftpd: (accepting connections)'])).toBeNull();
  });
});
