import { describe, expect, it } from 'vitest';
import { FtpDialogue } from './ftp-dialogue.ts';

const seg = (s: string) => Buffer.from(s, 'latin1');

describe('FTP dialogue from TCP segments', () => {
  it('masks a password split over two segments, and again when they are retransmitted', () => {
    const d = new FtpDialogue('198.18.1.11');
    d.syn(true, 999);
    const a = seg('USER bob\r\nPASS hun');
    const b = seg('ter2\r\nPWD\r\n');
    const lines = [...d.segment(true, 1000, a), ...d.segment(true, 1000 + a.length, b)];
    expect(lines.map((l) => (l.kind === 'command' ? l.text : ''))).toEqual(['USER bob', 'PASS ****', 'PWD']);
    expect(a.toString()).toBe('USER bob\r\nPASS ***');
    expect(b.toString()).toBe('****\r\nPWD\r\n');
    const again = seg('PASS hunter2\r\n');
    expect(d.segment(true, 1010, again)).toEqual([]);
    expect(again.toString()).toBe('PASS *******\r\n');
  });

  it('masks a client segment after a gap whole (it may hold a password), and ACCT like PASS', () => {
    const d = new FtpDialogue('198.18.1.11');
    d.segment(true, 1, seg('USER x\r\n'));
    const late = seg('PASS secret\r\n');
    expect(d.segment(true, 500, late)).toEqual([]);
    expect(late.toString()).toBe('*'.repeat(late.length));
    expect(d.segment(true, 500 + late.length, seg('ACCT money\r\n'))).toEqual([
      { kind: 'command', verb: 'ACCT', text: 'ACCT ****' },
    ]);
  });

  it('folds a multi-line reply into one step and reads 227, 229, PORT and EPRT endpoints', () => {
    const d = new FtpDialogue('2001:2::11');
    let next = 1;
    const reply = (text: string) => {
      const b = seg(text);
      const out = d.segment(false, next, b);
      next += b.length;
      return out;
    };
    const r = reply('211-Features:\r\n EPSV\r\n PASV\r\n211 End\r\n');
    expect(r).toEqual([{ kind: 'reply', code: 211, text: '211 Features: (+3 lines)', lines: 4 }]);
    const [pasv] = reply('227 Entering Passive Mode (198,18,1,11,156,151).\r\n');
    expect(pasv && d.endpointOf(pasv)).toEqual({
      mode: 'passive',
      via: 'PASV',
      ip: '198.18.1.11',
      port: 40087,
    });
    const [epsv] = reply('229 Entering Extended Passive Mode (|||40112|)\r\n');
    expect(epsv && d.endpointOf(epsv)).toEqual({
      mode: 'passive',
      via: 'EPSV',
      ip: '2001:2::11',
      port: 40112,
    });
    const [port, eprt] = d.segment(
      true,
      1,
      seg('PORT 198,18,1,100,200,10\r\nEPRT |2|2001:2::100|51234|\r\n'),
    );
    expect(port && d.endpointOf(port)).toEqual({
      mode: 'active',
      via: 'PORT',
      ip: '198.18.1.100',
      port: 51210,
    });
    expect(eprt && d.endpointOf(eprt)).toEqual({
      mode: 'active',
      via: 'EPRT',
      ip: '2001:2::100',
      port: 51234,
    });
  });

  it('stops reading after AUTH TLS is accepted, and on TLS bytes from the start (implicit FTPS)', () => {
    const d = new FtpDialogue('198.18.1.11');
    d.segment(true, 1, seg('AUTH TLS\r\n'));
    d.segment(false, 1, seg('234 Proceed with negotiation.\r\n'));
    expect(d.tls).toBe(true);
    expect(d.segment(true, 11, seg('\x16\x03\x01\x02\x00PASS x\r\n'))).toEqual([]);
    const implicit = new FtpDialogue('198.18.1.11');
    expect(implicit.segment(true, 1, seg('\x16\x03\x01\x00\xa5\x01'))).toEqual([
      { kind: 'tls', text: expect.stringContaining('encrypted') },
    ]);
    expect(implicit.tls).toBe(true);
  });
});
