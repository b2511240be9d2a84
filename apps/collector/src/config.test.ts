import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, hostSpecs, parseConfig, parseSize } from './config.ts';

const base = ['--hub', 'ws://127.0.0.1:8080', '--token', 'secret-token'];
/** A key pin as the hub shows it (sha256// + 44 base64 characters). */
const PIN = 'sha256//Gi3DCjRsXJNFpqcSC1h/g1A/QmG0Sj/9OdrsRzJ9z9E=';
const parse = (argv: string[]) =>
  parseConfig(argv, { defaultName: 'thishost', writeOut: () => {}, writeErr: () => {} });

function parseError(argv: string[]): ConfigError {
  try {
    parse(argv);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

afterEach(() => vi.unstubAllEnvs());

describe('parseConfig', () => {
  it('applies the documented defaults and appends the collector path to the hub URL', () => {
    const c = parse(base);
    expect(c).toMatchObject({
      hub: 'ws://127.0.0.1:8080/ws/collector',
      token: 'secret-token',
      tokenSource: 'cli',
      hosts: [{ name: 'thishost', netns: null }],
      intervalMs: 1000,
      ftpPorts: [21],
      nflogGroups: [],
      vsftpdConf: null,
      ftpLog: null,
      spoolMaxBytes: 100 * 1024 * 1024,
      eventBufferBytes: 8 * 1024 * 1024,
      once: false,
      json: false,
      logLevel: 'info',
    });
  });

  it('reads every flag, repeatable ones included', () => {
    const c = parse([
      ...base,
      '--name',
      'ftp-a',
      '--interval',
      '500',
      '--ftp-ports',
      '21,2121',
      '--nflog-group',
      '5',
      '--nflog-group',
      '6',
      '--vsftpd-conf',
      '/etc/vsftpd.conf',
      '--ftp-log',
      '/var/log/vsftpd.log',
      '--spool',
      '/var/lib/x',
      '--spool-max-bytes',
      '10M',
      '--event-buffer',
      '1G',
      '--log-level',
      'debug',
    ]);
    expect(c).toMatchObject({
      hosts: [{ name: 'ftp-a', netns: null }],
      intervalMs: 500,
      ftpPorts: [21, 2121],
      nflogGroups: [5, 6],
      vsftpdConf: '/etc/vsftpd.conf',
      ftpLog: '/var/log/vsftpd.log',
      spoolDir: '/var/lib/x',
      spoolMaxBytes: 10 * 1024 * 1024,
      eventBufferBytes: 1024 * 1024 * 1024,
      logLevel: 'debug',
    });
  });

  it('takes every flag from FTPSCOPE_* environment variables, flags winning over env', () => {
    vi.stubEnv('FTPSCOPE_HUB', 'wss://hub.example:443/custom');
    vi.stubEnv('FTPSCOPE_TOKEN', 'env-token');
    vi.stubEnv('FTPSCOPE_NETNS', 'ns1,ns2');
    vi.stubEnv('FTPSCOPE_NAME', 'site');
    vi.stubEnv('FTPSCOPE_NFLOG_GROUP', '7');
    vi.stubEnv('FTPSCOPE_INTERVAL', '2000');
    vi.stubEnv('FTPSCOPE_LOG_LEVEL', 'warn');
    vi.stubEnv('FTPSCOPE_OBSERVE', 'off');
    vi.stubEnv('FTPSCOPE_MANAGER_PID', 'ns2=4242');
    const c = parse(['--interval', '3000']);
    expect(c.hub).toBe('wss://hub.example/custom');
    expect(c.token).toBe('env-token');
    expect(c.tokenSource).toBe('env');
    expect(c.hosts).toEqual([
      { name: 'site-ns1', netns: 'ns1', managerPid: null },
      { name: 'site-ns2', netns: 'ns2', managerPid: 4242 },
    ]);
    expect(c.observe).toBe(false);
    expect(c.nflogGroups).toEqual([7]);
    expect(c.intervalMs).toBe(3000);
    expect(c.logLevel).toBe('warn');
  });

  it('observes by default; --manager-pid pairs with the one host, or NS=PID with several', () => {
    expect(parse([...base]).observe).toBe(true);
    expect(parse([...base, '--observe', 'off']).observe).toBe(false);
    expect(parseError([...base, '--observe', 'maybe']).message).toContain('--observe');
    expect(parse([...base, '--netns', 'a', '--manager-pid', '99']).hosts).toEqual([
      { name: 'a', netns: 'a', managerPid: 99 },
    ]);
    expect(parseError([...base, '--netns', 'a', '--netns', 'b', '--manager-pid', '99']).message).toContain(
      'NS=PID',
    );
    expect(parseError([...base, '--netns', 'a', '--manager-pid', 'c=99']).message).toContain('no --netns c');
  });

  it('reads the token from --token-file so it stays out of ps', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftpscope-cfg-'));
    try {
      writeFileSync(join(dir, 'token'), 'file-token\n');
      const c = parse(['--hub', 'ws://h:1', '--token-file', join(dir, 'token')]);
      expect(c).toMatchObject({ token: 'file-token', tokenSource: 'file' });
      expect(parseError(['--hub', 'ws://h:1', '--token-file', join(dir, 'missing')]).message).toContain(
        'cannot read',
      );
      expect(parseError([...base, '--token-file', join(dir, 'token')]).message).toContain('not both');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('needs --hub and a token unless --once', () => {
    expect(parseError([]).message).toContain('--hub');
    expect(parseError(['--hub', 'ws://h:1']).message).toContain('FTPSCOPE_TOKEN');
    const once = parse(['--once', '--json', '--netns', 'lab1']);
    expect(once).toMatchObject({
      once: true,
      json: true,
      hub: null,
      token: null,
      hosts: [{ name: 'lab1', netns: 'lab1' }],
    });
  });

  it('rejects bad values with the flag named and exit code 2', () => {
    const e = parseError([
      ...base,
      '--interval',
      'fast',
      '--ftp-ports',
      '21,70000',
      '--spool-max-bytes',
      '1k',
    ]);
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('--interval: expected a whole number');
    expect(e.message).toContain('--ftp-ports');
    expect(e.message).toContain('--spool-max-bytes');
    expect(parseError([...base, '--hub', 'ftp://h:1']).message).toContain('use wss:// (or ws://)');
    expect(parseError([...base, '--hub', 'ws://h:1', '--hub-fingerprint', PIN]).message).toContain(
      'plain ws://',
    );
    expect(parseError([...base, '--hub', 'wss://h:1', '--hub-fingerprint', 'abc']).message).toContain(
      '--hub-fingerprint',
    );
    expect(parseError([...base, '--hub', 'wss://a:1,ftp://b:2']).message).toContain('use wss:// (or ws://)');
    expect(parse([...base, '--hub', 'wss://a:1, wss://b:2/custom']).hub).toBe(
      'wss://a:1/ws/collector,wss://b:2/custom',
    );
    expect(parseError([...base, '--log-level', 'loud']).message).toContain('loud');
    expect(parseError([...base, '--bogus']).message).toContain('--bogus');
  });

  it('takes the https:// address the hub shows and a pin of its certificate key', () => {
    const c = parseConfig([...base, '--hub', 'https://hub.example:8443', '--hub-fingerprint', PIN]);
    expect(c.hub).toBe('wss://hub.example:8443/ws/collector');
    expect(c.hubFingerprint).toBe(PIN);
  });

  it('rejects namespaces and names with shell or path characters', () => {
    expect(parseError([...base, '--netns', 'a;rm -rf /']).message).toContain('--name/--netns');
    expect(parseError([...base, '--netns', '../etc']).message).toContain('--name/--netns');
    expect(parseError([...base, '--name', 'bad name']).message).toContain('name "bad name"');
    expect(parseError([...base, '--netns', 'a', '--netns', 'a']).message).toContain('twice');
  });

  it('--help documents every flag and its env var, and exits 0', () => {
    let out = '';
    expect(() => parseConfig(['--help'], { writeOut: (s) => (out += s) })).toThrow(
      expect.objectContaining({ exitCode: 0 }),
    );
    for (const flag of [
      'hub',
      'token',
      'token-file',
      'name',
      'netns',
      'interval',
      'ftp-ports',
      'nflog-group',
    ]) {
      expect(out).toContain(`--${flag}`);
    }
    for (const flag of [
      'ftp-server',
      'ftp-conf',
      'vsftpd-conf',
      'ftp-log',
      'spool',
      'spool-max-bytes',
      'event-buffer',
      'once',
      'json',
      'log-level',
    ]) {
      expect(out).toContain(`--${flag}`);
      expect(out.replace(/\s+/g, ' ')).toContain(`FTPSCOPE_${flag.replaceAll('-', '_').toUpperCase()}`);
    }
  });
});

describe('FTP server flags', () => {
  const base = ['--once'];
  it('defaults to finding the server by its process, and names it with --ftp-server/--ftp-conf', () => {
    expect(parseConfig(base)).toMatchObject({ ftpServer: 'auto', ftpConf: null });
    expect(
      parseConfig([...base, '--ftp-server', 'proftpd', '--ftp-conf', '/etc/proftpd/proftpd.conf']),
    ).toMatchObject({
      ftpServer: 'proftpd',
      ftpConf: '/etc/proftpd/proftpd.conf',
    });
  });

  it('keeps --vsftpd-conf meaning vsftpd with that config', () => {
    expect(parseConfig([...base, '--vsftpd-conf', '/etc/vsftpd.conf'])).toMatchObject({
      ftpServer: 'vsftpd',
      ftpConf: '/etc/vsftpd.conf',
    });
  });

  it('rejects a server it does not read, naming the flag', () => {
    expect(() => parseConfig([...base, '--ftp-server', 'filezilla'])).toThrow(/--ftp-server/);
  });
});

describe('hostSpecs', () => {
  it('names one host after --name, or the netns, or this machine', () => {
    expect(hostSpecs(undefined, [], 'box')).toEqual([{ name: 'box', netns: null }]);
    expect(hostSpecs('web', ['ns1'], 'box')).toEqual([{ name: 'web', netns: 'ns1' }]);
    expect(hostSpecs(undefined, ['ns1'], 'box')).toEqual([{ name: 'ns1', netns: 'ns1' }]);
  });

  it('names several hosts after their namespaces, prefixed by --name', () => {
    expect(hostSpecs(undefined, ['a', 'b'], 'box').map((h) => h.name)).toEqual(['a', 'b']);
    expect(hostSpecs('dc1', ['a', 'b'], 'box').map((h) => h.name)).toEqual(['dc1-a', 'dc1-b']);
  });
});

describe('parseSize', () => {
  it('accepts bytes and binary suffixes, and nothing else', () => {
    expect(parseSize('4096')).toBe(4096);
    expect(parseSize('512k')).toBe(512 * 1024);
    expect(parseSize('100MB')).toBe(100 * 1024 * 1024);
    expect(parseSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseSize('1.5M')).toBeNaN();
    expect(parseSize('-1')).toBeNaN();
  });
});
