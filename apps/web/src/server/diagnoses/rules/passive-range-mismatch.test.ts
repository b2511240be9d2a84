import { describe, expect, it } from 'vitest';
import { passiveRangeMismatch } from './passive-range-mismatch.ts';
import { hostWindow, NOW, settings } from './window.fixture.ts';

describe('passive-range-mismatch', () => {
  it('fires when a multiport rule opens only part of the server range (40000:40049 of 40000-40100)', () => {
    const [f] = passiveRangeMismatch(hostWindow('pasv-narrow'), NOW);
    expect(f?.kind).toBe('passive-range-mismatch');
    expect(f?.explanation).toContain('ports 40050-40100 are not opened');
    // Helper and RELATED still carry plain FTP: a warning, not an outage.
    expect(f?.severity).toBe('warning');
    expect(f?.fix[0]).toBe(
      'iptables -I INPUT -p tcp --dport 40000:40100 -m conntrack --ctstate NEW -j ACCEPT',
    );
  });

  it('is critical without a helper path', () => {
    const [f] = passiveRangeMismatch(
      hostWindow('pasv-open', { settings: settings({ pasvMinPort: 50000, pasvMaxPort: 50100 }) }),
      NOW,
    );
    expect(f?.severity).toBe('critical');
    expect(f?.explanation).toContain('ports 50000-50100 are not opened');
  });

  it('stays quiet when the opened range matches', () => {
    expect(passiveRangeMismatch(hostWindow('pasv-open'), NOW)).toEqual([]);
  });

  it('stays quiet when the rules open no range (they rely on the helper)', () => {
    expect(passiveRangeMismatch(hostWindow('healthy'), NOW)).toEqual([]);
    expect(passiveRangeMismatch(hostWindow('nft-healthy'), NOW)).toEqual([]);
  });

  it('ignores single-port rules of other services and control ports (2121, 8443)', () => {
    expect(
      passiveRangeMismatch(
        hostWindow('helper-21-listen-2121', { settings: settings({ listenPort: 2121 }) }),
        NOW,
      ),
    ).toEqual([]);
    expect(passiveRangeMismatch(hostWindow('helper-21-listen-2121'), NOW)).toEqual([]);
  });

  it('stays quiet without the server settings', () => {
    expect(passiveRangeMismatch(hostWindow('pasv-narrow', { settings: null }), NOW)).toEqual([]);
  });
});
