import { describe, expect, it } from 'vitest';
import { fixture, fixtureIo } from '../../../test/fixtures.ts';
import { pureFtpd } from './index.ts';
import { optionsFromArgv, optionsFromConfFile, settingsFromOptions } from './options-parse.ts';

const V = 'pure-ftpd/1.0.50';

describe('Pure-FTPd settings (1.0.50): flags, config file, Debian conf directory', () => {
  it("reads the lab's config file (the process's only argument)", async () => {
    const io = fixtureIo({ '/srv/ftp/pure-ftpd.conf': `${V}/lab-pure-ftpd.conf` });
    const argv = ['/usr/sbin/pure-ftpd', '/srv/ftp/pure-ftpd.conf'];
    expect(pureFtpd.configFromArgv(argv)).toBe('/srv/ftp/pure-ftpd.conf');
    expect(pureFtpd.settingsInArgv?.(argv)).toBe(false);
    const cfg = await pureFtpd.load({ configPath: '/srv/ftp/pure-ftpd.conf', argv, source: 'process' }, io);
    expect(cfg.unknown).toBe(0);
    expect(cfg.settings).toMatchObject({
      server: 'pure-ftpd',
      listenPort: 21,
      listenAddress: null,
      pasvMinPort: 40100,
      pasvMaxPort: 40199,
      pasvAddress: null,
      tls: false,
      ipv6: true,
    });
    expect(cfg.logs.map((l) => l.format)).toEqual(['syslog', 'syslog', 'syslog', 'AltLog xferlog']);
  });

  it('reads TLS and a certificate from the TLS variant', () => {
    const o = optionsFromConfFile(fixture(`${V}/lab-tls-pure-ftpd.conf`));
    expect(settingsFromOptions(o.options, 'x').settings).toMatchObject({ tls: true, tlsMode: 'optional' });
  });

  it("reads the command line Debian's pure-ftpd-wrapper builds (clustered and long flags too)", () => {
    const argv = [
      '/usr/sbin/pure-ftpd',
      '-l',
      'pam',
      '-u',
      '1000',
      '-O',
      'clf:/var/log/pure-ftpd/transfer.log',
      '-E',
      '-8',
      'UTF-8',
      '-p40000:40100',
      '-P',
      '203.0.113.5',
      '-Y',
      '2',
      '-dH1',
      '--bind=198.18.0.1,2121',
    ];
    expect(pureFtpd.settingsInArgv?.(argv)).toBe(true);
    const s = settingsFromOptions(optionsFromArgv(argv).options, 'argv');
    expect(s.settings).toMatchObject({
      listenPort: 2121,
      listenAddress: '198.18.0.1',
      pasvMinPort: 40000,
      pasvMaxPort: 40100,
      pasvAddress: '203.0.113.5',
      tlsMode: 'required',
    });
    expect(s).toMatchObject({
      verbose: true,
      logPid: true,
      altLogs: [{ format: 'clf', path: '/var/log/pure-ftpd/transfer.log' }],
    });
  });

  it("reads Debian's /etc/pure-ftpd/conf directory when no process names its settings", async () => {
    const io = fixtureIo({ '/etc/pure-ftpd/conf': `${V}/debian-conf` });
    const cfg = await pureFtpd.load({ configPath: '/etc/pure-ftpd/conf', argv: [], source: 'path' }, io);
    expect(cfg.settings).toMatchObject({ listenPort: 21, pasvMinPort: null, tls: false });
    expect(cfg.logs.at(-1)).toMatchObject({ format: 'AltLog clf', path: '/var/log/pure-ftpd/transfer.log' });
    expect(cfg.problems.join(' ')).toMatch(/VerboseLog/);
  });

  it("reads upstream's sample pure-ftpd.conf without unknown lines", () => {
    const o = optionsFromConfFile(fixture(`${V}/upstream-pure-ftpd.conf`));
    expect(o.unknown).toBe(0);
    expect(settingsFromOptions(o.options, 'x').syslog).toBe(true);
  });
});
