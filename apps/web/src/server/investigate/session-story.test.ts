import type { FtpSession } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { loadRecording } from './recorded.fixture.ts';
import { transferCommands } from './session-story.ts';

/** The last reported state of every session in the recording. */
function sessions(): FtpSession[] {
  const out = new Map<string, FtpSession>();
  for (const b of loadRecording('helper-removed').batches)
    for (const e of b.events) if (e.kind === 'session') out.set(e.session.id, e.session);
  return [...out.values()];
}

describe('transferCommands on recorded dialogues', () => {
  const all = sessions();

  it('pairs each PASV with the LIST that used it', () => {
    const ok = all.filter((s) => s.attempts?.[0]?.outcome === 'ok');
    expect(ok.length).toBeGreaterThan(0);
    for (const s of ok) {
      const m = transferCommands(s.attempts ?? [], s.dialogue ?? []);
      expect(m.get(s.attempts?.[0]?.id ?? '')).toBe('LIST');
    }
  });

  it('leaves a dropped channel without one: lftp never sent LIST, the data connection never came up', () => {
    const dropped = all.filter((s) => s.attempts?.[0]?.outcome === 'dropped');
    expect(dropped.length).toBeGreaterThan(0);
    for (const s of dropped) {
      expect(s.dialogue?.map((l) => l.text)).toContain('PASV');
      expect(s.dialogue?.some((l) => /^227 Entering Passive Mode/.test(l.text))).toBe(true);
      expect(transferCommands(s.attempts ?? [], s.dialogue ?? []).size).toBe(0);
    }
  });

  it('aligns from the end when the dialogue kept only its latest lines, and stops where the asks disagree', () => {
    const attempts = [
      { id: 'a1', command: 'PASV' },
      { id: 'a2', command: 'EPSV' },
      { id: 'a3', command: 'PASV' },
    ];
    const line = (text: string) => ({ at: 0, dir: 'command' as const, text });
    // the first PASV and its RETR fell out of the kept lines
    const m = transferCommands(attempts, [line('EPSV'), line('NLST'), line('PASV'), line('RETR a.txt')]);
    expect([...m]).toEqual([
      ['a3', 'RETR'],
      ['a2', 'NLST'],
    ]);
    expect(transferCommands(attempts, [line('PORT 1,2,3,4,5,6'), line('LIST')]).size).toBe(0);
  });
});
