import type { DataChannelAttempt, FtpSession } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRIVATE_NETS } from '../private-nets.ts';
import { expectationsUnused } from './expectations-unused.ts';
import { expectation, hostWindow, NOW, session, settings } from './window.fixture.ts';
import { PUBLIC_ADDRESS_PLACEHOLDER, wrongAdvertisedAddress } from './wrong-advertised-address.ts';

/** Behind the lab's 1:1 NAT: the client sees 198.18.250.1, the host is 198.19.250.2 inside. */
const INSIDE = '198.19.250.2';
const PUBLIC = '198.18.250.1';
const NETS = [...DEFAULT_PRIVATE_NETS, '198.19.0.0/16'];

function attempt(over: Partial<DataChannelAttempt> = {}): DataChannelAttempt {
  return {
    id: `a-${Math.random()}`,
    mode: 'passive',
    command: 'PASV',
    address: INSIDE,
    port: 40154,
    askedAt: NOW - 20_000,
    outcome: 'unused',
    settledAt: NOW - 15_000,
    bytes: null,
    bytesFrom: null,
    ruleId: null,
    dropSource: null,
    tiedBy: 'port',
    expectationId: null,
    dataConnectionId: null,
    reason: null,
    ...over,
  };
}

const natSession = (attempts: DataChannelAttempt[], over: Partial<FtpSession> = {}) =>
  session({ server: { ip: INSIDE, port: 21 }, startedAt: NOW - 21_000, attempts, ...over });

describe('wrong-advertised-address', () => {
  it('behind NAT without a helper: the inside address offered to an outside client, never used', () => {
    const w = hostWindow('healthy', { sessions: [natSession([attempt()])], privateNets: NETS });
    const [f] = wrongAdvertisedAddress(w, NOW);
    expect(f?.kind).toBe('wrong-advertised-address');
    expect(f?.title).toContain(INSIDE);
    expect(f?.explanation).toMatch(/private address/);
    expect(f?.explanation).toMatch(/no longer recognises/);
    // No session named the address it connected to: the fix says which value to put in.
    expect(f?.fix[0]).toContain(PUBLIC_ADDRESS_PLACEHOLDER);
    expect(f?.fix).toContain(
      `sed -i -e '/^pasv_address=/d' -e '$a pasv_address=${PUBLIC_ADDRESS_PLACEHOLDER}' '/tmp/ftpscope-lab/t/ftp1/vsftpd.conf'`,
    );
    // The healthy ruleset drops NEW on INPUT: the range has to be opened once the helper no longer helps.
    expect(f?.fix).toContain(
      'iptables -I INPUT -p tcp --dport 40000:40100 -m conntrack --ctstate NEW -j ACCEPT',
    );
    expect(f?.fix.at(-1)).toBe('# then restart vsftpd: systemctl restart vsftpd');
  });

  it('names the address the client connected to (HOST) and writes the fix in ProFTPD and Pure-FTPd terms', () => {
    const s = natSession([attempt()], { requestedHost: PUBLIC });
    const pro = hostWindow('healthy', {
      sessions: [s],
      privateNets: NETS,
      settings: settings({ server: 'proftpd', configPath: '/etc/proftpd/proftpd.conf' }),
    });
    expect(wrongAdvertisedAddress(pro, NOW)[0]?.fix).toEqual(
      expect.arrayContaining([
        `sed -i -e '/^[[:space:]]*MasqueradeAddress[[:space:]]/d' -e '$a MasqueradeAddress ${PUBLIC}' '/etc/proftpd/proftpd.conf'`,
        '# then restart ProFTPD: systemctl restart proftpd',
      ]),
    );
    const debian = hostWindow('healthy', {
      sessions: [s],
      privateNets: NETS,
      settings: settings({ server: 'pure-ftpd', configPath: '/etc/pure-ftpd/conf' }),
    });
    expect(wrongAdvertisedAddress(debian, NOW)[0]?.fix).toContain(
      `echo '${PUBLIC}' > '/etc/pure-ftpd/conf/ForcePassiveIP'`,
    );
    const file = hostWindow('healthy', {
      sessions: [s],
      privateNets: NETS,
      settings: settings({ server: 'pure-ftpd', configPath: '/etc/pure-ftpd.conf' }),
    });
    expect(wrongAdvertisedAddress(file, NOW)[0]?.fix).toContain(
      `sed -i -e '/^ForcePassiveIP[[:space:]]/d' -e '$a ForcePassiveIP ${PUBLIC}' '/etc/pure-ftpd.conf'`,
    );
  });

  it('raises nothing when a NAT with an FTP helper rewrote the reply and the data connections came', () => {
    const w = hostWindow('healthy', {
      sessions: [natSession([attempt({ outcome: 'ok', dataConnectionId: 'd1' })])],
      privateNets: NETS,
    });
    expect(wrongAdvertisedAddress(w, NOW)).toEqual([]);
  });

  it('resolves once the latest offer (the public address, after the fix) is used', () => {
    const before = natSession([attempt({ settledAt: NOW - 30_000 })]);
    const after = natSession([attempt({ address: PUBLIC, outcome: 'ok', settledAt: NOW - 5000 })]);
    const w = hostWindow('healthy', { sessions: [before, after], privateNets: NETS });
    expect(wrongAdvertisedAddress(w, NOW)).toEqual([]);
  });

  it('leaves private clients of a private server alone, and needs two unused offers of another address', () => {
    const inside = natSession([attempt()], { client: { ip: '198.19.250.9', port: 40000 } });
    expect(
      wrongAdvertisedAddress(hostWindow('healthy', { sessions: [inside], privateNets: NETS }), NOW),
    ).toEqual([]);
    const other = (n: number) =>
      session({
        startedAt: NOW - 21_000,
        attempts: [attempt({ address: '198.18.250.77', settledAt: NOW - 15_000 + n })],
      });
    expect(wrongAdvertisedAddress(hostWindow('healthy', { sessions: [other(0)] }), NOW)).toEqual([]);
    const [f] = wrongAdvertisedAddress(hostWindow('healthy', { sessions: [other(0), other(1)] }), NOW);
    expect(f?.explanation).toMatch(/not the address their control connection reached/);
  });

  it('takes the place of expectations-unused when the unused expectations are explained by the address', () => {
    const s = natSession([attempt()]);
    const e = expectation(s, { dst: INSIDE, createdAt: NOW - 20_000, expiredAt: NOW - 14_000 });
    const w = hostWindow('healthy', { sessions: [s], expectations: [e], privateNets: NETS });
    expect(wrongAdvertisedAddress(w, NOW).length).toBe(1);
    expect(expectationsUnused(w, NOW)).toEqual([]);
    expect(expectationsUnused({ ...w, privateNets: DEFAULT_PRIVATE_NETS }, NOW).length).toBe(1);
  });
});
