import { describe, expect, it } from 'vitest';
import { DiagnosisService } from './service.ts';

const log = { info: () => {}, warn: () => {}, error: () => {} };

describe('DiagnosisService.evaluateAll', () => {
  it('a store failing mid-evaluation rejects that call only: no second, unhandled rejection, and the next runs', async () => {
    // What PostgreSQL going down looks like to the lease query (seen in CI: the unhandled copy ended the hub).
    let fail = true;
    const svc = new DiagnosisService({
      log,
      store: {
        acquire: async (hosts) => {
          if (fail) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
          return hosts;
        },
        release: async () => {},
        active: async () => [],
      },
    });
    svc.hostConnected('ftp1', []);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(svc.evaluateAll(1000)).rejects.toThrow('ECONNRESET');
      await new Promise((r) => setTimeout(r, 20)); // Node reports unhandled rejections after the microtasks
      expect(unhandled).toEqual([]);
      fail = false;
      await expect(svc.evaluateAll(2000)).resolves.toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
