import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FtpDialogue } from './ftp-dialogue.ts';
import { decodePacket } from './packet-decode.ts';
import { PcapReader, pcapFileHeader, pcapRecordBytes } from './pcap.ts';
import { TraceAnalyzer } from './trace-analyzer.ts';

// What tcpdump hands over is whatever crossed the wire: no byte sequence may throw out of the trace code.
describe('trace decoding never throws on hostile bytes', () => {
  it('decodePacket and the analyzer, on any frame of every link type', () => {
    const a = new TraceAnalyzer({
      client: '198.18.1.100',
      ftpPorts: [21],
      passiveRange: () => [40000, 40100],
      attribute: () => null,
      maxSteps: 1000,
    });
    fc.assert(
      fc.property(
        fc.constantFrom(1, 113, 276, 101, 12, 228, 229, 0),
        fc.uint8Array({ maxLength: 200 }),
        (lt, bytes) => {
          const frame = Buffer.from(bytes);
          const p = decodePacket(lt, 1_700_000_000_000_000, frame);
          if (p) a.packet(p, frame);
          a.tick(1_700_000_010_000);
        },
      ),
      { numRuns: 3000 },
    );
    expect(a.steps.length).toBeLessThanOrEqual(1000);
  });

  it('the dialogue, on any segments in any order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.uint8Array({ maxLength: 300 })),
        ),
        (segs) => {
          const d = new FtpDialogue('198.18.1.11');
          for (const [c2s, seq, b] of segs)
            for (const line of d.segment(c2s, seq, Buffer.from(b))) d.endpointOf(line);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the pcap reader: records round-trip through the writer; garbage is an error, not a crash', () => {
    const frames = [Buffer.from([1, 2, 3]), Buffer.alloc(0), Buffer.alloc(1500, 7)];
    const bytes = Buffer.concat([
      pcapFileHeader({ linkType: 276, snapLen: 2048 }),
      ...frames.map((data, i) =>
        pcapRecordBytes({ tsUs: 1_700_000_000_123_456 + i, data, origLen: data.length + 10 }),
      ),
    ]);
    const r = new PcapReader();
    const recs = [...bytes].flatMap((b) => r.push(Buffer.from([b])));
    expect(recs.map((x) => [x.data.length, x.origLen, x.tsUs])).toEqual(
      frames.map((f, i) => [f.length, f.length + 10, 1_700_000_000_123_456 + i]),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 400 }), (junk) => {
        try {
          new PcapReader().push(Buffer.from(junk));
        } catch (err) {
          expect((err as Error).message).toMatch(/not a pcap stream|corrupt/);
        }
      }),
    );
  });
});
