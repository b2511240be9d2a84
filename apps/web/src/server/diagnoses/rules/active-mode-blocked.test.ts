import { describe, expect, it } from 'vitest';
import { activeModeBlocked } from './active-mode-blocked.ts';
import { data, expectation, hostWindow, NOW, ruleset, samples, session } from './window.fixture.ts';

describe('active-mode-blocked', () => {
  it('fires when PORT expectations go unused while OUTPUT drops from port 20', () => {
    const { rules } = ruleset('output-drop-20');
    const drop20 = rules.find((r) => r.chain === 'OUTPUT' && r.verdict === 'drop');
    const s = session({ mode: 'active', startedAt: NOW - 20_000 });
    const e = expectation(s, { mode: 'active', createdAt: NOW - 19_000, expiredAt: NOW - 18_990 });
    const w = hostWindow('output-drop-20', {
      sessions: [s],
      expectations: [e],
      counterSamples: samples(drop20?.id ?? '', NOW - 19_000, NOW - 16_000, 1),
    });
    const [f] = activeModeBlocked(w, NOW);
    expect(f?.kind).toBe('active-mode-blocked');
    expect(f?.explanation).toContain('4 packets');
    expect(f?.explanation).toContain('OUTPUT #1: -A OUTPUT -p tcp -m tcp --sport 20 -j DROP');
    expect(f?.fix.slice(0, -1)).toEqual([
      'iptables -I OUTPUT 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ]);
  });

  it('fires when the server connection from port 20 never gets an answer (client side blocks it)', () => {
    const s = session({ mode: 'active', startedAt: NOW - 20_000 });
    const e = expectation(s, { mode: 'active', createdAt: NOW - 19_000, fulfilledAt: NOW - 18_990 });
    const d = data(s, e, { established: false, state: 'SYN_SENT', startedAt: NOW - 18_990 });
    const [f] = activeModeBlocked(
      hostWindow('healthy', { sessions: [s], expectations: [e], dataConnections: [d] }),
      NOW,
    );
    expect(f?.explanation).toContain('never got an answer');
    expect(f?.fix[0]).toMatch(/passive mode/);
  });

  it('stays quiet for working active transfers', () => {
    const s = session({ mode: 'active', startedAt: NOW - 20_000 });
    const e = expectation(s, { mode: 'active', createdAt: NOW - 19_000, fulfilledAt: NOW - 18_990 });
    const d = data(s, e, { startedAt: NOW - 18_990 });
    expect(
      activeModeBlocked(
        hostWindow('healthy', { sessions: [s], expectations: [e], dataConnections: [d] }),
        NOW,
      ),
    ).toEqual([]);
  });

  it('stays quiet for a connection still in its first seconds', () => {
    const s = session({ mode: 'active', startedAt: NOW - 2000 });
    const e = expectation(s, { mode: 'active', createdAt: NOW - 1000, fulfilledAt: NOW - 990 });
    const d = data(s, e, { established: false, state: 'SYN_SENT', startedAt: NOW - 990 });
    expect(
      activeModeBlocked(
        hostWindow('healthy', { sessions: [s], expectations: [e], dataConnections: [d] }),
        NOW,
      ),
    ).toEqual([]);
  });
});
