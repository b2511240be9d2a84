/**
 * One FTP control connection read from captured TCP segments: command and reply lines in order, the data
 * endpoints they negotiate, and the byte ranges that must be masked (PASS/ACCT arguments) before any byte
 * leaves the host. Pure: fed segments, returns what they completed.
 */

/** A line the dialogue completed. */
export type DialogueLine =
  | { kind: 'command'; verb: string; text: string }
  | { kind: 'reply'; code: number; text: string; lines: number }
  | { kind: 'tls'; text: string };

/** A data endpoint negotiated on the control channel. */
export interface NegotiatedEndpoint {
  mode: 'passive' | 'active';
  via: 'PASV' | 'EPSV' | 'PORT' | 'EPRT';
  ip: string;
  port: number;
}

/** Verbs whose argument is a secret: masked in the dialogue and in the pcap, on the host. */
const SECRET_VERBS = new Set(['PASS', 'ACCT']);
/** Longest line kept; FTP lines are short, a longer one is cut (the pcap still has it, masked as needed). */
const MAX_LINE = 512;
/** Masked ranges remembered per direction (retransmissions of a secret must be masked too). */
const MAX_MASKS = 64;
const STAR = 0x2a;

/** One direction of the control connection: sequence tracking, line assembly, masking. */
class Direction {
  next: number | null = null;
  line = '';
  /** In the argument of a secret verb: bytes up to the end of the line are masked. */
  masking = false;
  /** Sequence ranges [start, end) that were masked, for retransmissions. */
  readonly masks: Array<[number, number]> = [];
  /** Bytes that could not be placed in order (gaps): masked whole when client→server. */
  gaps = 0;
}

/** Sequence arithmetic modulo 2^32: is a before b? */
function before(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/** Reads one control connection; `fromClient` is the client→server direction. */
export class FtpDialogue {
  readonly #c2s = new Direction();
  readonly #s2c = new Direction();
  /** Set once the channel is encrypted (AUTH TLS answered 234, or TLS bytes from the start). */
  tls = false;
  /** The client's SYN was seen (the trace shows where each control connection starts). */
  opened = false;
  #authAsked = false;
  #reply: { code: number; first: string; lines: number } | null = null;

  constructor(
    /** The server's address on this connection (EPSV's 229 reply names only a port). */
    private readonly serverIp: string,
  ) {}

  /** A SYN: sequence numbers start after it. */
  syn(fromClient: boolean, seq: number): void {
    const d = fromClient ? this.#c2s : this.#s2c;
    d.next = (seq + 1) >>> 0;
  }

  /**
   * Takes one segment's captured payload (a copy the caller owns). Masks its secret bytes in place and returns
   * the lines it completed. A segment out of order is not parsed; client→server it is masked whole.
   */
  segment(fromClient: boolean, seq: number, payload: Buffer): DialogueLine[] {
    const d = fromClient ? this.#c2s : this.#s2c;
    const end = (seq + payload.length) >>> 0;
    if (fromClient) this.#maskKnown(d, seq, payload);
    if (payload.length === 0) return [];
    if (d.next === null) d.next = seq;
    if (!before(d.next, end)) return []; // a retransmission of bytes already read (masked above)
    if (before(d.next, seq)) {
      // A gap (lost or reordered capture): what is missing may be a secret, so mask what follows it.
      d.gaps++;
      if (fromClient) payload.fill(STAR);
      d.next = end;
      d.line = '';
      d.masking = false;
      return [];
    }
    const skip = (d.next - seq) >>> 0;
    d.next = end;
    if (this.tls) return [];
    return this.#read(fromClient, d, seq, payload, skip);
  }

  #maskKnown(d: Direction, seq: number, payload: Buffer): void {
    for (const [s, e] of d.masks) {
      for (let i = 0; i < payload.length; i++) {
        const at = (seq + i) >>> 0;
        if (!before(at, s) && before(at, e)) payload[i] = STAR;
      }
    }
  }

  #read(fromClient: boolean, d: Direction, seq: number, payload: Buffer, from: number): DialogueLine[] {
    const out: DialogueLine[] = [];
    // TLS records start with 0x16 (handshake) 0x03: implicit FTPS, or the handshake after AUTH TLS.
    if (d.line === '' && payload[from] === 0x16 && payload[from + 1] === 0x03) {
      this.tls = true;
      out.push({
        kind: 'tls',
        text: 'TLS handshake on the control channel: commands and replies are encrypted',
      });
      return out;
    }
    let maskStart: number | null = d.masking ? from : null;
    for (let i = from; i < payload.length; i++) {
      const b = payload[i] as number;
      if (b === 0x0a) {
        if (maskStart !== null) this.#addMask(d, seq, maskStart, i);
        maskStart = null;
        d.masking = false;
        const line = d.line.replace(/\r$/, '');
        d.line = '';
        const done = fromClient ? this.#command(line) : this.#replyLine(line);
        if (done) out.push(done);
        if (this.tls) return out;
        continue;
      }
      if (d.masking) {
        if (b === 0x0d) {
          // The secret ends at CR: remember exactly its bytes for retransmissions.
          if (maskStart !== null) this.#addMask(d, seq, maskStart, i);
          maskStart = null;
          d.masking = false;
          d.line += '\r';
          continue;
        }
        payload[i] = STAR;
        if (d.line.length < MAX_LINE) d.line += '*';
        continue;
      }
      if (d.line.length < MAX_LINE) d.line += String.fromCharCode(b);
      if (
        fromClient &&
        d.line.length === 5 &&
        d.line[4] === ' ' &&
        SECRET_VERBS.has(d.line.slice(0, 4).toUpperCase())
      ) {
        d.masking = true;
        maskStart = i + 1;
      }
    }
    if (maskStart !== null) this.#addMask(d, seq, maskStart, payload.length);
    return out;
  }

  #addMask(d: Direction, seq: number, from: number, to: number): void {
    if (to <= from) return;
    d.masks.push([(seq + from) >>> 0, (seq + to) >>> 0]);
    if (d.masks.length > MAX_MASKS) d.masks.shift();
  }

  #command(line: string): DialogueLine | null {
    if (line === '') return null;
    const sp = line.indexOf(' ');
    const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase().slice(0, 16);
    if (/^AUTH$/.test(verb) && /^(TLS|SSL|TLS-C|TLS-P)$/i.test(line.slice(sp + 1).trim()))
      this.#authAsked = true;
    const text = SECRET_VERBS.has(verb) ? `${verb} ****` : printable(line);
    return { kind: 'command', verb, text };
  }

  #replyLine(line: string): DialogueLine | null {
    const m = /^(\d{3})([ -])(.*)$/.exec(line);
    if (this.#reply) {
      this.#reply.lines++;
      // A multi-line reply ends with its code followed by a space.
      if (!m || Number(m[1]) !== this.#reply.code || m[2] !== ' ') return null;
      const r = this.#reply;
      this.#reply = null;
      return this.#finishReply(r.code, r.first, r.lines);
    }
    if (!m) return null;
    const code = Number(m[1]);
    if (m[2] === '-') {
      this.#reply = { code, first: printable(m[3] ?? ''), lines: 1 };
      return null;
    }
    return this.#finishReply(code, printable(m[3] ?? ''), 1);
  }

  #finishReply(code: number, text: string, lines: number): DialogueLine {
    if (code === 234 && this.#authAsked) this.tls = true;
    // AUTH refused (e.g. 530 from a server without TLS): the channel stays in clear text.
    if (code !== 234) this.#authAsked = false;
    const more = lines > 1 ? ` (+${lines - 1} lines)` : '';
    return { kind: 'reply', code, text: `${code} ${text}${more}`.slice(0, MAX_LINE), lines };
  }

  /** The data endpoint a command or reply line negotiates, if any. */
  endpointOf(line: DialogueLine): NegotiatedEndpoint | null {
    if (line.kind === 'reply' && line.code === 227) {
      const m =
        /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(line.text) ??
        /(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)/.exec(line.text);
      if (!m) return null;
      const n = m.slice(1).map(Number);
      return {
        mode: 'passive',
        via: 'PASV',
        ip: n.slice(0, 4).join('.'),
        port: (n[4] as number) * 256 + (n[5] as number),
      };
    }
    if (line.kind === 'reply' && line.code === 229) {
      const m = /\((.)\1\1(\d+)\1\)/.exec(line.text);
      return m ? { mode: 'passive', via: 'EPSV', ip: this.serverIp, port: Number(m[2]) } : null;
    }
    if (line.kind === 'command' && line.verb === 'PORT') {
      const m = /^PORT\s+(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\s*$/i.exec(line.text);
      if (!m) return null;
      const n = m.slice(1).map(Number);
      return {
        mode: 'active',
        via: 'PORT',
        ip: n.slice(0, 4).join('.'),
        port: (n[4] as number) * 256 + (n[5] as number),
      };
    }
    if (line.kind === 'command' && line.verb === 'EPRT') {
      const m = /^EPRT\s+(.)([12])\1([^|\s]+)\1(\d+)\1\s*$/i.exec(line.text);
      return m
        ? { mode: 'active', via: 'EPRT', ip: (m[3] as string).toLowerCase(), port: Number(m[4]) }
        : null;
    }
    return null;
  }
}

/** A line as safe text: control characters shown as '?'. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_LINE);
}
