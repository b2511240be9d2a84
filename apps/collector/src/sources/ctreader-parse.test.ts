import { describe, expect, it } from 'vitest';
import { fixture } from '../../test/fixtures.ts';
import { type ConntrackRecord, parseConntrack } from './conntrack-parse.ts';
import { parseReader, parseReaderLine } from './ctreader-parse.ts';
import { parseExpect } from './expect-parse.ts';

const DIR = 'ctreader/0.1.0';
const ct = (text: string) => parseReader(text).records.flatMap((r) => (r.kind === 'ct' ? [r.rec] : []));

/** What the side-by-side comparison looks at: everything but the receive time. */
const essence = (r: ConntrackRecord) => ({
  event: r.event,
  family: r.family,
  proto: r.proto,
  timeout: r.timeout,
  state: r.state,
  orig: r.orig,
  reply: r.reply,
  unreplied: r.unreplied,
  assured: r.assured,
  helper: r.helper,
  id: r.id,
});

describe('native reader output (recorded beside the conntrack tool on the same traffic)', () => {
  it('parses every line: subscribed first, then records', () => {
    const r = parseReader(fixture(`${DIR}/events-healthy.txt`));
    expect(r.unknown).toBe(0);
    expect(r.records[0]).toEqual({ kind: 'ready', buffer: expect.any(Number), kernelFilter: true });
    expect(r.records.filter((x) => x.kind === 'ct').length).toBeGreaterThan(40);
    expect(r.records.filter((x) => x.kind === 'exp').length).toBeGreaterThanOrEqual(8);
  });

  for (const phase of ['healthy', 'nohelper']) {
    it(`${phase}: keeps exactly the tool's FTP events, field for field, and none of the port-80 ones`, () => {
      const native = ct(fixture(`${DIR}/events-${phase}.txt`));
      const tool = parseConntrack(fixture(`${DIR}/tool-events-${phase}.txt`)).records;
      const kept = new Set(native.map((r) => r.id));
      // Everything the reader left out is the non-FTP traffic (HTTP), and there was some.
      const dropped = tool.filter((r) => !kept.has(r.id));
      expect(dropped.length).toBeGreaterThanOrEqual(12);
      expect(dropped.every((r) => r.orig.dport === 80)).toBe(true);
      expect(native.some((r) => r.orig.dport === 80)).toBe(false);
      // The rest is the same sequence of events.
      expect(native.map(essence)).toEqual(tool.filter((r) => kept.has(r.id)).map(essence));
    });
  }

  it('healthy: every data connection names its control connection (master) in its NEW event', () => {
    const native = ct(fixture(`${DIR}/events-healthy.txt`));
    const control = new Map(
      native.filter((r) => r.orig.dport === 21).map((r) => [JSON.stringify(r.orig), r]),
    );
    const dataNew = native.filter((r) => r.event === 'NEW' && r.orig.dport !== 21);
    expect(dataNew.length).toBeGreaterThanOrEqual(4);
    for (const d of dataNew) {
      expect(d.master).not.toBeNull();
      const c = control.get(JSON.stringify(d.master));
      expect(c, `control connection of ${JSON.stringify(d.orig)}`).toBeDefined();
      // Passive: client -> server's port; active: server:20 -> client.
      if (d.orig.sport === 20) expect(d.orig.dst).toBe(c?.orig.src);
      else expect(d.orig.dst).toBe(c?.orig.dst);
    }
    // Later events of a data connection carry no master (the kernel sends it only with NEW).
    expect(native.filter((r) => r.event !== 'NEW').every((r) => r.master === null)).toBe(true);
  });

  it("healthy: expectation events equal the tool's", () => {
    const native = parseReader(fixture(`${DIR}/events-healthy.txt`)).records.flatMap((r) =>
      r.kind === 'exp' ? [r.rec] : [],
    );
    const tool = parseExpect(fixture(`${DIR}/tool-expect-events-healthy.txt`)).records;
    const strip = (e: (typeof tool)[number]) => ({ ...e, at: null });
    expect(native.map(strip)).toEqual(tool.map(strip));
  });

  it("list: the tool's listing without the HTTP connections, with the master of each data connection", () => {
    const r = parseReader(fixture(`${DIR}/list-healthy.txt`));
    expect(r.unknown).toBe(0);
    expect(r.records.at(-1)).toMatchObject({ kind: 'done', conns: 10 });
    const native = r.records.flatMap((x) => (x.kind === 'ct' ? [x.rec] : []));
    const tool = parseConntrack(fixture(`${DIR}/tool-list-healthy.txt`)).records;
    const ftp = tool.filter((x) => x.orig.dport !== 80);
    expect(tool.length - ftp.length).toBeGreaterThanOrEqual(4);
    const byId = (xs: ConntrackRecord[]) => [...xs].sort((a, b) => Number(a.id) - Number(b.id)).map(essence);
    expect(byId(native)).toEqual(byId(ftp));
    const data = native.filter((x) => x.orig.dport !== 21);
    expect(data.length).toBeGreaterThanOrEqual(4);
    expect(data.every((x) => x.master !== null && x.event === null && x.at === null)).toBe(true);
    // The transfer in progress is in it, established.
    expect(data.some((x) => x.state === 'ESTABLISHED' && x.orig.dport >= 40000)).toBe(true);
  });

  it('rejects a record with any one field out of shape', () => {
    const lines = fixture(`${DIR}/events-healthy.txt`).split('\n');
    const c = lines.find((l) => l.startsWith('C\tNEW\t') && !l.endsWith('\t-')) as string;
    const x = lines.find((l) => l.startsWith('X\t')) as string;
    const numbers = ['', 'x', '1x', '-1', '0x10', '1e3'];
    const addresses = ['', '-'];
    // Field index -> values it must not accept (state, flags and helper are free text).
    const bad: [string, Record<number, string[]>][] = [
      [
        c,
        {
          1: ['', 'OLD', 'new'],
          2: numbers,
          3: ['', '5', '44'],
          4: numbers,
          6: addresses,
          7: addresses,
          8: numbers,
          9: numbers,
          10: addresses,
          11: addresses,
          12: numbers,
          13: numbers,
          16: [...numbers, '-', '12345678901'],
          17: numbers,
          18: [''],
          19: addresses,
          20: numbers,
          21: numbers,
        },
      ],
      [
        x,
        {
          1: ['', 'OLD'],
          2: numbers,
          3: ['', '5'],
          4: numbers,
          5: numbers,
          6: addresses,
          9: numbers,
          10: addresses,
          13: numbers,
        },
      ],
    ];
    for (const [line, fields] of bad) {
      expect(parseReaderLine(line)).not.toBeNull();
      for (const [i, values] of Object.entries(fields))
        for (const v of values) {
          const f = line.split('\t');
          f[Number(i)] = v;
          expect(parseReaderLine(f.join('\t')), `${line[0]} field ${i} = "${v}"`).toBeNull();
        }
    }
  });

  it('reads a byte counter of 20 digits as Number() does', () => {
    const c = fixture(`${DIR}/events-healthy.txt`)
      .split('\n')
      .find((l) => l.startsWith('C\tNEW\t')) as string;
    for (const bytes of ['12345678901234567890', '99999999999999999999', '9007199254740993', '0']) {
      const f = c.split('\t');
      f[17] = bytes;
      const r = parseReaderLine(f.join('\t'));
      expect(r?.kind === 'ct' && r.rec.bytes).toBe(Number(bytes));
    }
  });

  it('rejects what is not a reader line, and records of the wrong shape', () => {
    const good = fixture(`${DIR}/events-healthy.txt`).split('\n')[1] as string;
    expect(parseReaderLine(good)?.kind).toBe('ct');
    expect(parseReaderLine('')).toBeNull();
    expect(parseReaderLine('C\tnot a record')).toBeNull();
    expect(parseReaderLine(good.replace('\tNEW\t', '\tOLD\t'))).toBeNull();
    expect(parseReaderLine(good.replace(/\t\d+\t/, '\t12x\t'))).toBeNull();
    expect(parseReaderLine(`${good}\textra`)).toBeNull();
    expect(parseReaderLine('Q\t1')).toBeNull();
    expect(parseReaderLine('conntrack v1.4.7 (conntrack-tools): 3 flow events have been shown.')).toBeNull();
    expect(parseReaderLine('L\t1024')).toEqual({ kind: 'loss', buffer: 1024 });
    expect(parseReaderLine('R\t4096\t0')).toEqual({ kind: 'ready', buffer: 4096, kernelFilter: false });
    expect(parseReaderLine('S\t120\t96')).toEqual({ kind: 'counts', parsed: 120, printed: 96 });
    expect(parseReaderLine('S\t120')).toBeNull();
  });
});
