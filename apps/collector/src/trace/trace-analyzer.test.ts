import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuleDef, TraceStep, TraceSynStep } from '@ftpscope/shared';
import { describe, expect, it } from 'vitest';
import { FIXTURES, fixture } from '../../test/fixtures.ts';
import { identifyRules } from '../model/rule-ids.ts';
import { parseIptablesSave } from '../sources/iptables-save-parse.ts';
import { DropEvidence } from './drop-attribution.ts';
import { decodePacket } from './packet-decode.ts';
import { PcapReader, type PcapRecord } from './pcap.ts';
import { TraceAnalyzer } from './trace-analyzer.ts';

// Recorded by test/fixtures/record-trace.sh in a lab: the addresses are read from the recordings themselves.
const pcapBytes = (name: string) => readFileSync(join(FIXTURES, 'tcpdump/4.99.3', name));

/** The client and server of a recording: the first SYN to an FTP control port. */
function addresses(name: string, port = 21): { client: string; server: string } {
  const { linkType, recs } = records(name);
  for (const r of recs) {
    const p = decodePacket(linkType, r.tsUs, r.data);
    if (p?.flags.syn && !p.flags.ack && p.dport === port) return { client: p.src, server: p.dst };
  }
  throw new Error(`no control connection in ${name}`);
}

function records(name: string): { linkType: number; recs: PcapRecord[] } {
  const reader = new PcapReader();
  const bytes = pcapBytes(name);
  // Fed in odd-sized chunks, as a pipe delivers them.
  const recs: PcapRecord[] = [];
  for (let i = 0; i < bytes.length; i += 777) recs.push(...reader.push(bytes.subarray(i, i + 777)));
  return { linkType: reader.header?.linkType ?? -1, recs };
}

function analyze(name: string, evidence = new DropEvidence(), ftpPorts = [21]) {
  const { linkType, recs } = records(name);
  const a = new TraceAnalyzer({
    client: addresses(name, ftpPorts[0]).client,
    ftpPorts,
    passiveRange: () => [40100, 40299],
    attribute: (s) => evidence.attribute(s),
    maxSteps: 1000,
  });
  const kept: Buffer[] = [];
  for (const r of recs) {
    const p = decodePacket(linkType, r.tsUs, r.data);
    if (!p) continue;
    const out = a.packet(p, r.data);
    if (out) kept.push(out);
    a.tick(p.at);
  }
  const last = recs.at(-1);
  a.tick(last ? Math.floor(last.tsUs / 1000) + 10_000 : 0, true);
  return { a, steps: a.steps, kept, recs };
}

const syns = (steps: TraceStep[]) => steps.filter((s): s is TraceSynStep => s.kind === 'syn');

describe('trace of recorded captures', () => {
  it('reads tcpdump -w output from the pipe in chunks (Linux cooked v2 from -i any)', () => {
    const { linkType, recs } = records('trace-healthy.pcap');
    expect(linkType).toBe(276);
    expect(recs.length).toBeGreaterThan(100);
    expect(() => new PcapReader().push(Buffer.from('not a pcap stream at all!'))).toThrow(
      /not a pcap stream/,
    );
  });

  it('healthy host: the dialogue, every negotiation and each data SYN answered', () => {
    const { client, server } = addresses('trace-healthy.pcap');
    const { steps } = analyze('trace-healthy.pcap');
    const commands = steps.filter((s) => s.kind === 'command').map((s) => s.text);
    expect(commands).toEqual(
      expect.arrayContaining(['USER ftpscope-lab', 'PASS ****', 'PASV', 'LIST', 'EPSV']),
    );
    expect(commands.some((c) => /^PORT \d+,\d+,\d+,\d+,\d+,\d+$/.test(c))).toBe(true);
    expect(commands.some((c) => c.startsWith(`EPRT |1|${client}|`))).toBe(true);
    const replies = steps.filter((s) => s.kind === 'reply').map((s) => s.text);
    expect(replies).toEqual(expect.arrayContaining(['530 Login incorrect.']));
    expect(
      replies.some((r) => r.startsWith(`227 Entering Passive Mode (${server.replaceAll('.', ',')},`)),
    ).toBe(true);
    expect(replies.some((r) => /^229 Entering Extended Passive Mode \(\|\|\|\d+\|\)/.test(r))).toBe(true);
    const endpoints = steps.filter((s) => s.kind === 'endpoint');
    expect(new Set(endpoints.map((e) => e.via))).toEqual(new Set(['PASV', 'EPSV', 'PORT', 'EPRT']));
    const data = syns(steps);
    expect(data.length).toBeGreaterThanOrEqual(endpoints.length);
    for (const s of data)
      expect([s.fate, s.explanation]).toEqual(['answered', expect.stringContaining('SYN-ACK')]);
    // Each negotiated port is the one the data SYN went to.
    for (const e of endpoints) {
      const s = data.find((d) =>
        e.mode === 'passive' ? d.dport === e.port : d.dport === e.port && d.dst === client,
      );
      expect(s, `${e.via} ${e.port}`).toBeDefined();
    }
    expect(new Set(data.map((s) => s.mode))).toEqual(new Set(['passive', 'active']));
  });

  it('masks the password in the dialogue and in every kept packet, retransmissions included', () => {
    const { steps, kept } = analyze('trace-healthy.pcap');
    const raw = pcapBytes('trace-healthy.pcap');
    expect(raw.includes('WrongSecret123')).toBe(true); // the recording has it...
    expect(JSON.stringify(steps)).not.toContain('WrongSecret123');
    const out = Buffer.concat(kept);
    expect(out.includes('WrongSecret123')).toBe(false); // ...what leaves the host does not
    expect(out.includes('PASS **************')).toBe(true); // same length: TCP sequence numbers still add up
    // Data channels keep their headers only: the listing's file names stay on the host.
    expect(out.includes('1MB.bin')).toBe(false);
  });

  it('no helper: the 227 port and the SYN to it dropped by the INPUT policy, named from its counter', () => {
    const rules = identifyRules(
      parseIptablesSave(fixture('iptables/1.8.9/legacy-nohelper-save.txt'), 'iptables-nft', 'ipv4').records,
    ).map((r) => r.def);
    const policy = rules.find((r) => r.isPolicy && r.chain === 'INPUT') as RuleDef;
    const output = rules.find((r) => r.isPolicy && r.chain === 'OUTPUT') as RuleDef;
    const { recs } = records('trace-no-helper.pcap');
    const t0 = Math.floor((recs[0] as PcapRecord).tsUs / 1000);
    const evidence = new DropEvidence();
    evidence.observe({ kind: 'ruleset', at: t0 - 60_000, rules, diff: null });
    // The collector's polls while the client retried: the policy counted the SYNs.
    for (let i = 1; i <= 6; i++) {
      evidence.observe({
        kind: 'counters',
        at: t0 + i * 1000,
        intervalMs: 1000,
        counters: [
          { ruleId: policy.id, packets: i, bytes: 60 * i, dPackets: 1, dBytes: 60 },
          { ruleId: output.id, packets: 9, bytes: 900, dPackets: 0, dBytes: 0 },
        ],
      });
    }
    const { steps } = analyze('trace-no-helper.pcap', evidence);
    const { server } = addresses('trace-no-helper.pcap');
    const pasv = steps.find((s) => s.kind === 'endpoint');
    expect(pasv).toMatchObject({ via: 'PASV', mode: 'passive', ip: server });
    const [syn] = syns(steps);
    expect(syn).toMatchObject({
      dst: server,
      dport: pasv?.kind === 'endpoint' ? pasv.port : -1,
      fate: 'dropped',
      rule: { ruleId: policy.id, label: 'INPUT policy DROP', how: 'counter' },
    });
    expect(syn?.attempts).toBeGreaterThanOrEqual(2);
    expect(syn?.explanation).toContain('dropped by INPUT policy DROP');
    expect(syn?.explanation).toContain('RELATED');
  });

  it('no helper without any counter evidence: no reply, and says why it cannot name a rule', () => {
    const [syn] = syns(analyze('trace-no-helper.pcap').steps);
    expect(syn).toMatchObject({ fate: 'no-reply', rule: null });
    expect(syn?.explanation).toContain('no drop rule with a counter moved');
  });

  it('a drop recorded for this very packet (NFLOG or a traced drop) names its rule first', () => {
    const { recs, linkType } = records('trace-no-helper.pcap');
    const first = recs
      .map((r) => decodePacket(linkType, r.tsUs, r.data))
      .find((p) => p?.flags.syn && !p.flags.ack && p.dport !== 21);
    if (!first) throw new Error('no data SYN in the recording');
    const rule: RuleDef = {
      id: 'r-nflog',
      backend: 'iptables-nft',
      family: 'ipv4',
      table: 'filter',
      chain: 'INPUT',
      position: 5,
      text: '-A INPUT -p tcp -j NFLOG --nflog-prefix "policy drop" --nflog-group 5',
      verdict: 'other',
      isPolicy: false,
      comment: null,
    };
    const evidence = new DropEvidence();
    evidence.observe({ kind: 'ruleset', at: first.at - 10_000, rules: [rule], diff: null });
    evidence.observe({
      kind: 'drop',
      drop: { ...first, group: 5, ruleId: 'r-nflog', prefix: 'policy drop', proto: 'tcp', flags: 'S' },
    });
    const [syn] = syns(analyze('trace-no-helper.pcap', evidence).steps);
    expect(syn?.rule).toEqual({ ruleId: 'r-nflog', label: expect.stringContaining('INPUT #5'), how: 'drop' });
  });

  it('FTPS: says the control channel is encrypted and still shows the data SYN to the passive range and its fate', () => {
    const { a, steps, kept } = analyze('trace-ftps.pcap', new DropEvidence(), [2121]);
    expect(a.tls).toBe(true);
    expect(steps.filter((s) => s.kind === 'command').map((s) => s.text)).toEqual(['FEAT', 'AUTH TLS']);
    expect(steps.filter((s) => s.kind === 'reply').map((s) => s.text)).toContain(
      '234 Proceed with negotiation.',
    );
    expect(steps.some((s) => s.kind === 'endpoint')).toBe(false); // the PASV reply is encrypted
    expect(steps).toContainEqual(
      expect.objectContaining({
        kind: 'note',
        text: expect.stringContaining('control channel is encrypted'),
      }),
    );
    const [syn] = syns(steps);
    expect(syn).toMatchObject({ mode: 'unknown', fate: 'no-reply' });
    expect(syn?.dport).toBeGreaterThanOrEqual(40100);
    expect(syn?.dport).toBeLessThanOrEqual(40299);
    expect(syn?.attempts).toBeGreaterThanOrEqual(2);
    expect(kept.length).toBeGreaterThan(10);
  });
});
