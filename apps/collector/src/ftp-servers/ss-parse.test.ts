import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { driverForBinary } from './registry.ts';
import { parseSsListeners } from './ss-parse.ts';

describe('ss -Hltnp (iproute2 6.1.0, recorded in lab namespaces)', () => {
  it('names the process of each FTP server listening on 21, IPv4 and IPv6', () => {
    for (const [server, name] of [
      ['vsftpd', 'vsftpd'],
      ['proftpd', 'proftpd'],
      ['pure-ftpd', 'pure-ftpd'],
    ] as const) {
      const ls = parseSsListeners(fixture(`ss/6.1.0/listeners-${server}.txt`));
      expect(ls.length).toBe(2);
      expect(ls.every((l) => l.port === 21 && l.processes[0]?.name === name)).toBe(true);
      expect(ls.some((l) => l.address.includes(':'))).toBe(true);
      expect(driverForBinary(`/usr/sbin/${name}`)?.kind).toBe(server);
    }
  });

  it('shows listeners without processes when not privileged', () => {
    const ls = parseSsListeners(fixture('ss/6.1.0/listeners-unprivileged.txt'));
    expect(ls.map((l) => l.processes.length)).toEqual([0, 0]);
  });
});
