/** The data port a dialogue line negotiates: a 227/229 reply's port, or a PORT/EPRT command's; null otherwise. */
export function dialoguePort(line: { dir: string; text: string }): number | null {
  const six = /(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/;
  const ext = /\|[12]?\|[^|]*\|(\d{1,5})\|/;
  let m: RegExpExecArray | null = null;
  if (line.dir === 'reply' && line.text.startsWith('227 ')) m = six.exec(line.text);
  else if (line.dir === 'command' && /^PORT /i.test(line.text)) m = six.exec(line.text);
  if (m) return Number(m[5]) * 256 + Number(m[6]);
  if (
    (line.dir === 'reply' && line.text.startsWith('229 ')) ||
    (line.dir === 'command' && /^EPRT /i.test(line.text))
  ) {
    const e = ext.exec(line.text);
    if (e) return Number(e[1]);
  }
  return null;
}

/**
 * Which data channel each dialogue line negotiated: line index → channel, each channel once, matched by port
 * (the latest line of a port wins, as a reused port's earlier offer belongs to an attempt no longer kept).
 */
export function channelsByLine<C extends { id: string; port: number | null }>(
  lines: readonly { dir: string; text: string }[],
  channels: readonly C[],
): Map<number, C> {
  const out = new Map<number, C>();
  const used = new Set<string>();
  for (let i = lines.length - 1; i >= 0; i--) {
    const port = dialoguePort(lines[i] as { dir: string; text: string });
    if (port === null) continue;
    const c = [...channels].reverse().find((x) => x.port === port && !used.has(x.id));
    if (!c) continue;
    used.add(c.id);
    out.set(i, c);
  }
  return out;
}

/** The traces of a session's client on its host that were running while the session was open, newest first. */
export function tracesOfSession<
  T extends { host: string; client: string; startedAt: string; endedAt: string | null },
>(
  traces: readonly T[],
  s: { host: string; client: { ip: string }; startedAt: string; endedAt: string | null },
  now: number,
): T[] {
  const from = Date.parse(s.startedAt);
  const to = s.endedAt === null ? now : Date.parse(s.endedAt);
  return traces
    .filter(
      (t) =>
        t.host === s.host &&
        t.client === s.client.ip &&
        Date.parse(t.startedAt) <= to &&
        (t.endedAt === null ? now : Date.parse(t.endedAt)) >= from,
    )
    .sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt));
}
