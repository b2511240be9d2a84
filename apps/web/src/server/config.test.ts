import { describe, expect, it } from 'vitest';
import { optionsFromConfig } from './app.ts';
import { buildProgram, ConfigError, hashToken, parseCommand } from './config.ts';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
  parseCommand(argv, env, { exitOverride: true });
const base = ['--api-token', 'api-token-1', '--collector-token', 'coll-token-1'];

describe('hub config', () => {
  it('has safe defaults: loopback, data/ftpscope.db, 7/90/90 days', () => {
    const cmd = parse(base);
    expect(cmd).toEqual({
      kind: 'serve',
      config: expect.objectContaining({
        host: '127.0.0.1',
        port: 8080,
        store: 'sqlite:data/ftpscope.db',
        retentionDays: 90,
        rawRetentionDays: 7,
        rollupRetentionDays: 90,
        collectorRate: 1000,
        logLevel: 'info',
      }),
    });
  });

  it('reads FTPSCOPE_* env, flags win', () => {
    const env = {
      FTPSCOPE_API_TOKEN: 'env-api-token',
      FTPSCOPE_TOKENS: '/etc/ftpscope/tokens',
      FTPSCOPE_LISTEN: '[::1]:9000',
      FTPSCOPE_RETENTION_DAYS: '30',
    };
    const cmd = parse(['--retention-days', '10'], env);
    expect(cmd.kind === 'serve' && cmd.config).toMatchObject({
      apiToken: 'env-api-token',
      tokensFile: '/etc/ftpscope/tokens',
      host: '::1',
      port: 9000,
      retentionDays: 10,
    });
  });

  it('treats RFC 1918, CGNAT, loopback, link-local and ULA as private unless --private-nets says otherwise', () => {
    const cmd = parse(base);
    expect(cmd.kind === 'serve' && cmd.config.privateNets.split(',')).toEqual([
      '10.0.0.0/8',
      '172.16.0.0/12',
      '192.168.0.0/16',
      '100.64.0.0/10',
      '127.0.0.0/8',
      '169.254.0.0/16',
      '::1/128',
      'fe80::/10',
      'fc00::/7',
    ]);
    const lab = parse(base, { FTPSCOPE_PRIVATE_NETS: '198.19.0.0/16, fc00::/7' });
    expect(lab.kind === 'serve' && optionsFromConfig(lab.config).privateNets).toEqual([
      '198.19.0.0/16',
      'fc00::/7',
    ]);
  });

  it('--store picks the engine; --db FILE is sqlite:FILE', () => {
    const store = (argv: string[], env = {}) => {
      const cmd = parse([...base, ...argv], env);
      return cmd.kind === 'serve' ? cmd.config.store : null;
    };
    expect(store(['--store', 'postgres://ftpscope@db.example:5432/ftpscope'])).toBe(
      'postgres://ftpscope@db.example:5432/ftpscope',
    );
    expect(store([], { FTPSCOPE_STORE: 'postgresql://h/db' })).toBe('postgresql://h/db');
    expect(store(['--db', '/var/lib/ftpscope/hub.db'])).toBe('sqlite:/var/lib/ftpscope/hub.db');
    expect(store(['--store', 'sqlite:x.db'], { FTPSCOPE_STORE: 'postgres://h/db' })).toBe('sqlite:x.db');
  });

  it('names the flag that is wrong', () => {
    const cases: [string[], RegExp][] = [
      [['--collector-token', 'coll-token-1'], /--api-token .* is required/],
      [[...base, '--plain-listen', '0.0.0.0:8080'], /--plain-listen .*only served on loopback/],
      [[...base, '--tls', 'maybe'], /--tls/],
      [[...base, '--public-url', 'https://hub/x'], /--public-url/],
      [[...base, '--tokens', 'f'], /either --collector-token or --tokens/],
      [[...base, '--listen', 'localhost'], /--listen must be HOST:PORT/],
      [[...base, '--listen', '127.0.0.1:70000'], /--listen: .*65535/],
      [[...base, '--retention-days', 'abc'], /--retention-days/],
      [[...base, '--tls-cert', 'c.pem'], /--tls-cert and --tls-key go together/],
      [[...base, '--alert-webhook', 'ftp://x'], /--alert-webhook/],
      [[...base, '--log-level', 'loud'], /--log-level/],
      [['--api-token', 'short', '--collector-token', 'coll-token-1'], /--api-token: .*8/],
      [[...base, '--nope'], /unknown option '--nope'/],
      [[...base, '--private-nets', '10.0.0.0/8,10.0.0.0'], /--private-nets: "10\.0\.0\.0" is not a network/],
      [[...base, '--private-nets', 'fc00::/129'], /--private-nets: "fc00::\/129"/],
      [[...base, '--store', 'mysql://x/y'], /--store must be sqlite:PATH or postgres:\/\//],
      [[...base, '--store', 'postgres://u:secret@[bad'], /--store: not a valid URL: postgres:\/\/u:\*\*\*@/],
      [[...base, '--store', 'sqlite:'], /--store sqlite: needs a file/],
      [[...base, '--store', 'sqlite:a.db', '--db', 'b.db'], /either --store or --db/],
    ];
    for (const [argv, re] of cases) {
      expect(() => parse(argv), argv.join(' ')).toThrow(ConfigError);
      expect(() => parse(argv), argv.join(' ')).toThrow(re);
    }
  });

  it('hash-token prints what the tokens file stores', () => {
    expect(parse(['hash-token', 'abc'])).toEqual({ kind: 'hash-token', token: 'abc' });
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('--help documents every flag with its env var', () => {
    const help = buildProgram().helpInformation();
    for (const f of [
      '--listen',
      '--store',
      '--db',
      '--collector-token',
      '--tokens',
      '--api-token',
      '--tls-cert',
      '--tls-key',
      '--retention-days',
      '--alert-webhook',
    ]) {
      expect(help).toContain(f);
    }
    expect(help).toContain('FTPSCOPE_API_TOKEN');
    expect(help).toContain('hash-token');
  });
});
