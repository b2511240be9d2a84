import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/fixtures.ts';
import { parseVsftpdConf } from './conf-parse.ts';

describe('parseVsftpdConf (vsftpd 3.0.3)', () => {
  it('reads the recording server config', () => {
    const c = parseVsftpdConf(fixture('vsftpd/3.0.3/vsftpd.conf'), '/etc/vsftpd.conf');
    expect(c.unknown).toBe(0);
    expect(c.settings).toEqual({
      server: 'vsftpd',
      configPath: '/etc/vsftpd.conf',
      listenPort: 21,
      ipv6: true,
      pasvEnabled: true,
      pasvMinPort: 40000,
      pasvMaxPort: 40100,
      pasvAddress: null,
      tls: true,
      portEnabled: true,
      controlPorts: [21],
      listenAddress: null,
      // The recording allows anonymous logins without TLS and does not force it on local users.
      tlsMode: 'optional',
      tlsImplicit: false,
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

  it('tells TLS off, offered and required (implicit on 990) apart', () => {
    const mode = (extra: string) => parseVsftpdConf(`anonymous_enable=YES\n${extra}`, 'x').settings;
    expect(mode('').tlsMode).toBe('off');
    expect(mode('ssl_enable=YES\n').tlsMode).toBe('optional');
    expect(mode('ssl_enable=YES\nallow_anon_ssl=YES\nforce_anon_logins_ssl=YES\n').tlsMode).toBe('required');
    expect(mode('ssl_enable=YES\nimplicit_ssl=YES\n')).toMatchObject({
      tlsMode: 'required',
      tlsImplicit: true,
      listenPort: 990,
    });
  });
});
