import WebSocket from 'ws';

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/**
 * What a Node process allocates, by function: V8's sampling heap profiler over the inspector protocol,
 * counting objects the scavenger and the mark-compact collected too (allocation, not what stays alive).
 * The process must run with `--inspect=127.0.0.1:PORT`. `stop()` returns the top sites with their share.
 */
export async function startAllocSampling(port: number): Promise<{ stop(): Promise<string[]> }> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(url);
  await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
  let nextId = 1;
  const pending = new Map<number, (r: unknown) => void>();
  ws.on('message', (m) => {
    const msg = JSON.parse(String(m)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((r) => {
      const id = nextId++;
      pending.set(id, r);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call('HeapProfiler.enable');
  await call('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop() {
      const { profile } = (await call('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
      ws.close();
      const bySite = new Map<string, number>();
      let total = 0;
      const walk = (n: SamplingNode) => {
        const f = n.callFrame;
        const site = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
        bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize);
        total += n.selfSize;
        for (const c of n.children) walk(c);
      };
      walk(profile.head);
      return [...bySite]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 30)
        .map(([site, bytes]) => `${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${site}`)
        .concat(`total sampled ${(total / 1024 / 1024).toFixed(1)} MB`);
    },
  };
}
