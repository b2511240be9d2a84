import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { parseVsftpdConf } from './vsftpd-conf-parse.ts';

describe('parseVsftpdConf (vsftpd 3.0.3)', () => {
  it('reads the recording server config', () => {
    const c = parseVsftpdConf(fixture('vsftpd/3.0.3/vsftpd.conf'), '/etc/vsftpd.conf');
    expect(c.unknown).toBe(0);
    expect(c.settings).toEqual({
      configPath: '/etc/vsftpd.conf',
      listenPort: 21,
      ipv6: true,
      pasvEnabled: true,
      pasvMinPort: 40000,
      pasvMaxPort: 40100,
      pasvAddress: null,
      tls: true,
      portEnabled: true,
    });
    expect(c.vsftpdLog).toBe('/srv/ftp/vsftpd.log');
    expect(c.xferlog).toBe('/srv/ftp/xferlog');
  });

  it("reads Debian's default config with vsftpd's defaults for what it leaves out", () => {
    const c = parseVsftpdConf(fixture('vsftpd/3.0.3/debian-default.conf'), '/etc/vsftpd.conf');
    expect(c.unknown).toBe(0);
    expect(c.settings).toMatchObject({ listenPort: 21, pasvMinPort: null, tls: false });
  });

  it('reads pasv_address, listen_port and port_enable', () => {
    const c = parseVsftpdConf('listen_port=2121\npasv_address=198.18.0.1\nport_enable=NO\nbad line\n', 'x');
    expect(c.settings).toMatchObject({ listenPort: 2121, pasvAddress: '198.18.0.1', portEnabled: false });
    expect(c.unknown).toBe(1);
  });
});
