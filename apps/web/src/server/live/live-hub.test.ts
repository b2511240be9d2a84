import type { LiveEvent } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { HubEvents } from '../ingest/hub-events.ts';
import { session } from '../testing/events.ts';
import type { LiveClient } from './live-client.ts';
import { LiveHub } from './live-hub.ts';

describe('LiveHub', () => {
  it('sends session events to browsers without their dialogue, everything else as committed', () => {
    const events = new HubEvents();
    const hub = new LiveHub(events);
    const got: LiveEvent[] = [];
    hub.add({ enqueue: (_host: string, e: LiveEvent[]) => got.push(...e) } as unknown as LiveClient);
    const talk = session('s1', 1000, {
      dialogue: [{ at: 1000, dir: 'command', text: 'PASV' }],
      dialogueOmitted: 2,
    });
    const plain = session('s2', 1000);
    events.emit('batch', 'ftp1', [talk, plain]);
    expect(got).toHaveLength(2);
    const [first, second] = got;
    expect(first?.kind === 'session' && first.session).not.toHaveProperty('dialogue');
    expect(first?.kind === 'session' && first.session).not.toHaveProperty('dialogueOmitted');
    expect(first?.kind === 'session' && first.session.id).toBe('s1');
    expect(second).toBe(plain);
    // batches other hubs committed (PostgreSQL's feed) are published directly: stripped too
    got.length = 0;
    hub.publish('ftp1', [talk]);
    expect(got[0]?.kind === 'session' && got[0].session).not.toHaveProperty('dialogue');
  });
});
