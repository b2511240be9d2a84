import type { TraceRule, TraceStep, TraceSynStep } from '@ftpscope/shared';
import type { UnansweredSyn } from './drop-attribution.ts';
import { FtpDialogue, type NegotiatedEndpoint } from './ftp-dialogue.ts';
import type { Packet } from './packet-decode.ts';

/** How long a SYN may wait for an answer before its fate is settled (clients retry after 1 s, 3 s, ...). */
export const SYN_WAIT_MS = 3000;
/** How long after a negotiation its data connection must start, else it is reported as never sent. */
export const NOT_SENT_MS = 5000;

/** What the analyzer needs to know about the host. */
export interface AnalyzerOptions {
  client: string;
  ftpPorts: number[];
  /** The FTP server's passive range, used to recognise data connections when the control channel is encrypted. */
  passiveRange: () => [number, number] | null;
  attribute(syn: UnansweredSyn): TraceRule | null;
  maxSteps: number;
}

interface Expected {
  ep: NegotiatedEndpoint;
  at: number;
  serverIp: string;
  used: boolean;
  reported: boolean;
}

interface DataConn {
  n: number;
  step: TraceSynStep;
  /** The client opened it (passive), else the server (active). */
  byClient: boolean;
  /** Time of the latest SYN (retransmissions included). */
  lastAt: number;
}

/**
 * Turns one client's captured packets into ladder steps: the control dialogue, negotiated endpoints and every
 * data SYN with its fate. Decides per packet what the pcap keeps: control packets whole (secrets masked), data
 * and ICMP packets cut to their headers, anything else of the client (ssh, http...) not at all.
 */
export class TraceAnalyzer {
  readonly #o: AnalyzerOptions;
  readonly #steps = new Map<number, TraceStep>();
  readonly #changed = new Set<number>();
  readonly #controls = new Map<string, FtpDialogue>();
  readonly #data = new Map<string, DataConn>();
  readonly #expected: Expected[] = [];
  #n = 0;
  #full = false;
  tls = false;

  constructor(o: AnalyzerOptions) {
    this.#o = o;
  }

  /** Every step so far, in order. */
  get steps(): TraceStep[] {
    return [...this.#steps.values()];
  }

  /** Steps added or changed since the last call. */
  takeChanged(): TraceStep[] {
    const out = [...this.#changed].sort((a, b) => a - b).map((n) => this.#steps.get(n) as TraceStep);
    this.#changed.clear();
    return out;
  }

  /** Adds a step (or, past the step limit, drops it after one note saying so); returns its number. */
  add(step: DistributiveOmit<TraceStep, 'n'>): number | null {
    if (this.#steps.size >= this.#o.maxSteps - 1) {
      if (!this.#full) {
        this.#full = true;
        const n = this.#n++;
        this.#put({
          n,
          at: step.at,
          kind: 'note',
          level: 'warning',
          text: `step limit (${this.#o.maxSteps}) reached: later steps are only in the pcap`,
        });
      }
      return null;
    }
    const n = this.#n++;
    this.#put({ ...step, n } as TraceStep);
    return n;
  }

  #put(step: TraceStep): void {
    this.#steps.set(step.n, step);
    this.#changed.add(step.n);
  }

  /** Reads one packet; returns the bytes the pcap keeps (a masked or cut copy), or null to leave it out. */
  packet(p: Packet, frame: Buffer): Buffer | null {
    if (p.proto === 'icmp') return this.#icmp(p, frame);
    if (p.proto !== 'tcp') return null;
    const fromClient = p.src === this.#o.client;
    const serverIp = fromClient ? p.dst : p.src;
    const serverPort = fromClient ? p.dport : p.sport;
    const clientPort = fromClient ? p.sport : p.dport;
    const key = `${serverIp}|${serverPort}|${clientPort}`;
    if (this.#o.ftpPorts.includes(serverPort)) return this.#control(p, frame, key, fromClient, serverIp);
    const conn = this.#data.get(key) ?? this.#newData(p, key, fromClient, serverPort, clientPort);
    if (!conn) return null;
    this.#dataPacket(conn, p, fromClient);
    return Buffer.from(frame.subarray(0, p.payloadOffset));
  }

  #control(p: Packet, frame: Buffer, key: string, fromClient: boolean, serverIp: string): Buffer {
    let d = this.#controls.get(key);
    if (!d) {
      d = new FtpDialogue(serverIp);
      this.#controls.set(key, d);
    }
    const out = Buffer.from(frame);
    if (p.flags.syn) d.syn(fromClient, p.seq);
    if (p.flags.syn && !p.flags.ack && fromClient && !d.opened) {
      d.opened = true;
      this.add({
        at: p.at,
        kind: 'note',
        level: 'info',
        text: `control connection ${p.src}:${p.sport} → ${p.dst}:${p.dport}`,
      });
    }
    const payload = out.subarray(p.payloadOffset, p.payloadOffset + p.payloadCaptured);
    const wasTls = d.tls;
    for (const line of d.segment(fromClient, p.seq, payload)) {
      if (line.kind === 'command') this.add({ at: p.at, kind: 'command', verb: line.verb, text: line.text });
      else if (line.kind === 'reply') this.add({ at: p.at, kind: 'reply', code: line.code, text: line.text });
      const ep = line.kind === 'tls' ? null : d.endpointOf(line);
      if (ep) {
        this.add({ at: p.at, kind: 'endpoint', ...ep });
        this.#expected.push({ ep, at: p.at, serverIp, used: false, reported: false });
      }
    }
    if (d.tls && !wasTls) this.#noteTls(p.at);
    return out;
  }

  #noteTls(at: number): void {
    if (this.tls) return;
    this.tls = true;
    const range = this.#o.passiveRange();
    this.add({
      at,
      kind: 'note',
      level: 'info',
      text: `The control channel is encrypted (FTPS): commands, replies and the ports they negotiate cannot be read here, and the kernel's FTP helper cannot read them either. Data connections are recognised by their ports (${range ? `passive range ${range[0]}-${range[1]}` : 'any port'}, or from port 20) and their SYNs' fate is still shown.`,
    });
  }

  #newData(
    p: Packet,
    key: string,
    fromClient: boolean,
    serverPort: number,
    clientPort: number,
  ): DataConn | null {
    if (!p.flags.syn || p.flags.ack) return null;
    const exp = this.#expected.find((e) =>
      fromClient
        ? e.ep.mode === 'passive' && e.ep.port === serverPort && !e.used
        : e.ep.mode === 'active' && e.ep.port === clientPort && !e.used,
    );
    let mode: TraceSynStep['mode'] = fromClient ? 'passive' : 'active';
    if (exp) exp.used = true;
    else if (this.tls) {
      const range = this.#o.passiveRange();
      const passiveGuess = fromClient && (range ? serverPort >= range[0] && serverPort <= range[1] : true);
      if (!passiveGuess && !(!fromClient && p.sport === 20)) return null;
      mode = 'unknown';
    } else return null;
    const step: Omit<TraceSynStep, 'n'> = {
      at: p.at,
      kind: 'syn',
      mode,
      src: p.src,
      sport: p.sport,
      dst: p.dst,
      dport: p.dport,
      attempts: 0,
      fate: 'pending',
      fateAt: null,
      rule: null,
      explanation: `SYN to ${p.dst}:${p.dport}, waiting for an answer`,
    };
    const n = this.add(step);
    if (n === null) return null;
    const conn: DataConn = { n, step: { ...step, n }, byClient: fromClient, lastAt: p.at };
    this.#data.set(key, conn);
    return conn;
  }

  #dataPacket(c: DataConn, p: Packet, fromClient: boolean): void {
    const s = c.step;
    const fromInitiator = fromClient === c.byClient;
    if (fromInitiator && p.flags.syn && !p.flags.ack) {
      if (s.fate === 'answered') return;
      c.lastAt = p.at;
      this.#update(c, { attempts: s.attempts + 1 });
      return;
    }
    if (fromInitiator || s.fate === 'answered' || s.fate === 'reset') return;
    if (p.flags.syn && p.flags.ack) {
      this.#settle(
        c,
        'answered',
        p.at,
        null,
        `Answered by SYN-ACK after ${p.at - s.at} ms: the data connection got through.`,
      );
    } else if (p.flags.rst) {
      this.#settle(
        c,
        'reset',
        p.at,
        null,
        `Answered with RST: nothing listened on ${s.dst}:${s.dport} (the server gave up on it), or a REJECT --reject-with tcp-reset rule refused it.`,
      );
    }
  }

  #icmp(p: Packet, frame: Buffer): Buffer | null {
    const a = p.unreachable;
    if (!a) return null;
    const fromClient = a.src === this.#o.client;
    const key = fromClient ? `${a.dst}|${a.dport}|${a.sport}` : `${a.src}|${a.sport}|${a.dport}`;
    const c = this.#data.get(key);
    if (c && c.step.fate !== 'answered') {
      this.#settle(
        c,
        'rejected',
        p.at,
        null,
        'An ICMP unreachable came back: a REJECT rule refused the data connection.',
      );
    }
    if (!c && !this.#controls.has(key)) return null;
    return Buffer.from(frame.subarray(0, Math.min(frame.length, p.payloadOffset)));
  }

  #update(c: DataConn, patch: Partial<TraceSynStep>): void {
    c.step = { ...c.step, ...patch };
    this.#put(c.step);
  }

  #settle(
    c: DataConn,
    fate: TraceSynStep['fate'],
    at: number,
    rule: TraceRule | null,
    explanation: string,
  ): void {
    this.#update(c, { fate, fateAt: at, rule, explanation });
  }

  /** Settles SYNs that waited long enough and reports negotiations nobody connected to; call about twice a second. */
  tick(now: number, final = false): void {
    for (const c of this.#data.values()) {
      const s = c.step;
      const unanswered =
        s.fate === 'pending' || s.fate === 'no-reply' || (s.fate === 'dropped' && s.rule?.how === 'counter');
      if (!unanswered || (!final && now - s.at < SYN_WAIT_MS)) continue;
      const lastAt = c.lastAt;
      const rule = this.#o.attribute({
        firstAt: s.at,
        lastAt,
        src: s.src,
        dst: s.dst,
        sport: s.sport,
        dport: s.dport,
        inbound: c.byClient,
      });
      if (s.fate !== 'pending' && rule?.ruleId === s.rule?.ruleId) continue;
      const tries = `${s.attempts} SYN${s.attempts === 1 ? '' : 's'}`;
      if (rule) this.#settle(c, 'dropped', lastAt, rule, dropExplanation(s, tries, rule, c.byClient));
      else if (s.fate === 'pending')
        this.#settle(
          c,
          'no-reply',
          lastAt,
          null,
          `No answer to ${tries}, and no drop rule with a counter moved: a rule without counters (firewalld's) or something past the firewall lost it.`,
        );
    }
    for (const e of this.#expected) {
      if (e.used || e.reported || (!final && now - e.at < NOT_SENT_MS)) continue;
      e.reported = true;
      this.#notSent(e, now);
    }
  }

  #notSent(e: Expected, now: number): void {
    const passive = e.ep.mode === 'passive';
    const s: Omit<TraceSynStep, 'n'> = {
      at: e.at,
      kind: 'syn',
      mode: e.ep.mode,
      src: passive ? this.#o.client : e.serverIp,
      sport: passive ? 0 : 20,
      dst: passive ? e.ep.ip : this.#o.client,
      dport: e.ep.port,
      attempts: 0,
      fate: 'not-sent',
      fateAt: now,
      rule: null,
      explanation: passive
        ? `The client never opened a data connection to ${e.ep.ip}:${e.ep.port} (it gave up, or the address it was given is unreachable from it).`
        : `No SYN to ${this.#o.client}:${e.ep.port} left the host: the server's connection was blocked before the wire (an OUTPUT rule) or never tried.`,
    };
    if (!passive) {
      const rule = this.#o.attribute({
        firstAt: e.at,
        lastAt: now,
        src: s.src,
        dst: s.dst,
        sport: 20,
        dport: s.dport,
        inbound: false,
      });
      if (rule) {
        s.rule = rule;
        s.fate = 'dropped';
        s.explanation = `No SYN to ${this.#o.client}:${e.ep.port} left the host: dropped on the way out by ${rule.label}.`;
      }
    }
    this.add(s);
  }
}

function dropExplanation(s: TraceSynStep, tries: string, rule: TraceRule, inbound: boolean): string {
  const how =
    rule.how === 'drop'
      ? 'the drop of this packet was recorded'
      : 'its counter moved while the SYN was retried';
  const why = inbound
    ? ' It was not accepted as RELATED to the control connection: no FTP helper expectation for it, or no rule accepting RELATED.'
    : '';
  return `No answer to ${tries} to ${s.dst}:${s.dport}: dropped by ${rule.label} (${how}).${why}`;
}

/** Omit over each member of a union. */
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
