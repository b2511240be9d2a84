/** One packet record of a pcap stream. */
export interface PcapRecord {
  /** Capture time, epoch microseconds. */
  tsUs: number;
  /** Bytes captured (at most the snap length). */
  data: Buffer;
  /** Length of the packet on the wire. */
  origLen: number;
}

/** The global header fields a reader needs. */
export interface PcapHeader {
  linkType: number;
  snapLen: number;
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
/** Largest record a sane capture holds; anything bigger means the stream is not pcap or is corrupt. */
const MAX_RECORD = 256 * 1024;

/**
 * Reads the pcap that `tcpdump -w -` writes, chunk by chunk as the pipe delivers it (records may span
 * chunks). Throws on a stream that is not pcap, so a wrong tool or version is reported, not misread.
 */
export class PcapReader {
  #buf: Buffer = Buffer.alloc(0);
  #header: PcapHeader | null = null;
  #le = true;
  #nanos = false;

  get header(): PcapHeader | null {
    return this.#header;
  }

  /** Feeds bytes; returns the records completed by them. */
  push(chunk: Buffer): PcapRecord[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: PcapRecord[] = [];
    let off = 0;
    if (!this.#header) {
      if (this.#buf.length < 24) return out;
      this.#readHeader();
      off = 24;
    }
    const u32 = (at: number) => (this.#le ? this.#buf.readUInt32LE(at) : this.#buf.readUInt32BE(at));
    while (this.#buf.length - off >= 16) {
      const incl = u32(off + 8);
      if (incl > MAX_RECORD) throw new Error(`pcap record of ${incl} bytes: the capture stream is corrupt`);
      if (this.#buf.length - off < 16 + incl) break;
      const sec = u32(off);
      const frac = u32(off + 4);
      out.push({
        tsUs: sec * 1_000_000 + (this.#nanos ? Math.floor(frac / 1000) : frac),
        data: Buffer.from(this.#buf.subarray(off + 16, off + 16 + incl)),
        origLen: u32(off + 12),
      });
      off += 16 + incl;
    }
    this.#buf = this.#buf.subarray(off);
    return out;
  }

  #readHeader(): void {
    const le = this.#buf.readUInt32LE(0);
    const be = this.#buf.readUInt32BE(0);
    if (le === MAGIC_US || le === MAGIC_NS) this.#le = true;
    else if (be === MAGIC_US || be === MAGIC_NS) this.#le = false;
    else throw new Error(`not a pcap stream (magic 0x${le.toString(16)})`);
    this.#nanos = (this.#le ? le : be) === MAGIC_NS;
    const u32 = (at: number) => (this.#le ? this.#buf.readUInt32LE(at) : this.#buf.readUInt32BE(at));
    this.#header = { snapLen: u32(16), linkType: u32(20) & 0x0fffffff };
  }
}

/** A pcap global header (little-endian, microseconds), as every reader (tcpdump, Wireshark) accepts. */
export function pcapFileHeader(h: PcapHeader): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(MAGIC_US, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeInt32LE(0, 8);
  b.writeUInt32LE(0, 12);
  b.writeUInt32LE(h.snapLen, 16);
  b.writeUInt32LE(h.linkType, 20);
  return b;
}

/** One record in the format of pcapFileHeader. */
export function pcapRecordBytes(r: PcapRecord): Buffer {
  const b = Buffer.alloc(16 + r.data.length);
  b.writeUInt32LE(Math.floor(r.tsUs / 1_000_000), 0);
  b.writeUInt32LE(r.tsUs % 1_000_000, 4);
  b.writeUInt32LE(r.data.length, 8);
  b.writeUInt32LE(r.origLen, 12);
  r.data.copy(b, 16);
  return b;
}
