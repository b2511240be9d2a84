/** A listening TCP socket as `ss -Hltnp` shows it, with the processes that hold it (empty without privileges). */
export interface Listener {
  address: string;
  port: number;
  processes: Array<{ name: string; pid: number }>;
}

/** Parses `ss -Hltnp` (no header): state, queues, local address:port, peer, then users:((...)). */
export function parseSsListeners(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || f[0] !== 'LISTEN') continue;
    const local = f[3] as string;
    const i = local.lastIndexOf(':');
    const port = Number(local.slice(i + 1));
    if (i < 0 || !Number.isInteger(port)) continue;
    const address = local
      .slice(0, i)
      .replace(/^\[|\]$/g, '')
      .replace(/%\S+$/, '');
    const processes = [...line.matchAll(/\("([^"]+)",pid=(\d+)/g)].map((m) => ({
      name: m[1] as string,
      pid: Number(m[2]),
    }));
    out.push({ address, port, processes });
  }
  return out;
}
