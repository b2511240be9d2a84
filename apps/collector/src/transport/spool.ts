import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  type Batch,
  type CollectorEvent,
  type Gap,
  MAX_BATCH_EVENTS,
  MAX_FRAME_BYTES,
} from '@ftpscope/shared';
import type { Logger } from '../logger.ts';

/** Default size cap of one host's spool. */
export const DEFAULT_SPOOL_MAX_BYTES = 100 * 1024 * 1024;

const STATE_FILE = 'stream.json';
/** A segment: batches and marks appended one JSON line each; `<highest seq when started, 16 digits>.<n>.seg`. */
const SEGMENT_RE = /^\d{16}\.\d+\.seg$/;
/** A segment holding this much starts the next one; a segment is deleted once none of its batches is unacked. */
const SEGMENT_BYTES = 1024 * 1024;
/** Versions before segments: one file per batch, and the batch whose ack emptied the spool. Read at open. */
const LEGACY_BATCH_RE = /^\d{16}\.batch\.json$/;
const LEGACY_ACKED_FILE = 'last-acked.json';
/** How a batch line starts (JSON.stringify of a Batch: `type` then `seq`); found without parsing the line. */
const BATCH_LINE_RE = /^\{"type":"batch","seq":(\d+),/;
/** Marks: every batch up to N is acknowledged or dropped (`done`), or batch N was skipped as corrupt (`skip`). */
const MARK_LINE_RE = /^\{"(done|skip)":(\d+)\}$/;
const DISK_ERROR_LOG_EVERY_MS = 60_000;

export interface SpoolOptions {
  dir: string;
  /** Total size of unacknowledged batches kept; beyond it the oldest are dropped and a gap recorded. */
  maxBytes?: number;
  /** Batches held only in memory (disk failing) are capped at this many bytes. */
  memoryMaxBytes?: number;
  /** Largest frame the hub accepts: bigger batches are split (default MAX_FRAME_BYTES). */
  maxFrameBytes?: number;
  /** fsync the segment after each write (default false: see the class comment). */
  fsync?: boolean;
  log: Logger;
  now?: () => number;
  /** The hub acknowledged every batch: called with the bytes appended since the spool was last empty. */
  onDrained?: (bytes: number) => void;
}

/** A batch as it goes on the wire: its sequence and its JSON frame. */
export interface SpooledBatch {
  seq: number;
  json: string;
}

/** A file of batches: a segment, or a legacy one-batch file. */
interface Segment {
  name: string;
  /** Open for appending while it is the segment being written, else null. */
  fd: number | null;
  /** Bytes written (the next line's offset). */
  size: number;
  /** Its batches not yet acknowledged or dropped: at 0 (and not being written) the file goes. */
  live: number;
  /** Highest sequence it records (batch or mark): deleting it must not lose the numbering. */
  maxSeq: number;
}

interface Entry {
  seq: number;
  bytes: number;
  /** The frame, while it is not (yet) on disk. */
  json: string | null;
  /** Where the frame is on disk (its line in `seg`), or null while it is only in memory. */
  seg: Segment | null;
  offset: number;
  /** Acked or dropped: a write still queued for it must not resurrect the file. */
  gone: boolean;
  /** Gaps this batch carries (recorded before it): dropping it must not lose their record. */
  gaps: Gap[] | null;
  /** The frame also kept in memory after it went to disk, so sending it does not read and parse the file. */
  cached: string | null;
}

/** Frames kept in memory after they are on disk, until acknowledged (normally a handful in flight). */
const CACHE_MAX_BYTES = 4 * 1024 * 1024;

const pad = (seq: number) => String(seq).padStart(16, '0');

/**
 * Bounded on-disk spool of one stream. Batches are appended, one JSON line each, to a segment file
 * (`<seq>.<n>.seg`); an ack, or a drop when the spool is full, appends a mark (`{"done":N}`: nothing up to N is
 * to be sent again), and a batch found corrupt one of its own (`{"skip":N}`). A
 * segment holding SEGMENT_BYTES starts the next; a segment is deleted once all its batches are acknowledged
 * (or dropped) and it is not being written. Appending to an open file costs ~5 µs where creating a file per
 * batch cost 40–800 µs of CPU on ext4 (measured; it was the spool's whole cost under a trickle of FTP logins).
 * `stream.json` keeps the stream id and a sequence the numbering starts from; the highest sequence otherwise
 * survives in the segments: a segment that may hold it is deleted only after a newer record is on disk or
 * stream.json is rewritten. At open, every segment is read: batches after the highest `done` mark are unacked,
 * and writing goes to a new segment (never after a line a crash may have cut short). A cut-short or corrupt
 * line reads back as corrupt, i.e. a gap. Disk errors are logged and the spool carries on in memory
 * (bounded): collecting never stops or crashes for the disk.
 *
 * fsync policy: writes are synchronous (a few µs into the page cache), so once append() returns the batch
 * survives kill -9 and crashes of the collector. Segments are not fsynced by default (fsync at 5 batches/s
 * would stall the event loop on busy disks); with `fsync: true` each write is fsynced. On power loss without
 * fsync the last seconds of batches may be lost; the hub then sees a sequence gap.
 */
export class Spool {
  readonly dir: string;
  readonly maxBytes: number;
  readonly memoryMaxBytes: number;
  readonly maxFrameBytes: number;
  private readonly fsync: boolean;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly onDrained: ((bytes: number) => void) | null;
  private entries: Entry[] = [];
  /** Bytes appended since the spool was last empty (told to onDrained). */
  private appendedBytes = 0;
  private totalBytes = 0;
  private memBytes = 0;
  private cachedBytes = 0;
  private pendingGaps: Gap[] = [];
  private diskOk = true;
  private lastDiskErrorLog = Number.NEGATIVE_INFINITY;
  private ackedSeq = 0;
  private _streamId = '';
  private _lastSeq = 0;
  /** The sequence stream.json holds. */
  private stateSeq = 0;
  /** The segment being written (null: the next write starts one). */
  private current: Segment | null = null;
  private segmentCount = 0;

  private constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    this.memoryMaxBytes = opts.memoryMaxBytes ?? Math.min(this.maxBytes, 16 * 1024 * 1024);
    this.maxFrameBytes = opts.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.fsync = opts.fsync ?? false;
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.onDrained = opts.onDrained ?? null;
  }

  /** Opens (or creates) the spool in `dir`, loading the stream id, the sequence and the unacked batches. */
  static open(opts: SpoolOptions): Spool {
    const spool = new Spool(opts);
    spool.load();
    return spool;
  }

  /** Random id of this spool's stream; sequences are unique within it. */
  get streamId(): string {
    return this._streamId;
  }

  /** Highest sequence produced so far (0 if none). */
  get lastSeq(): number {
    return this._lastSeq;
  }

  /** Bytes of unacknowledged batches held (disk plus memory). */
  get size(): number {
    return this.totalBytes;
  }

  /** Number of batches not yet acknowledged. */
  get unackedCount(): number {
    return this.entries.length;
  }

  /** Sequences not yet acknowledged, oldest first. */
  unackedSeqs(): number[] {
    return this.entries.map((e) => e.seq);
  }

  /**
   * Stores events as the next batch (prefixed by any pending gap) on disk and returns it. A batch over the
   * frame limit is split in two until each part fits; a single event that does not fit is dropped as a gap.
   */
  append(events: CollectorEvent[]): SpooledBatch {
    // The hub rejects (4422) a batch over MAX_BATCH_EVENTS, gaps included, and the batch would be resent forever:
    // split big snapshots, and keep room for the pending gaps plus one more that makeRoom may add below. In a
    // loop: splitting off the rest recursively would keep every rest alive at once (100k events: 40 MB).
    const room = () => Math.max(1, MAX_BATCH_EVENTS - this.pendingGaps.length - 1);
    if (events.length > room()) {
      let last: SpooledBatch | null = null;
      for (let i = 0; i < events.length; ) {
        const n = room();
        last = this.append(events.slice(i, i + n));
        i += n;
      }
      return last as SpooledBatch;
    }
    const seq = this._lastSeq + 1;
    let json = this.frame(seq, events);
    let bytes = Buffer.byteLength(json);
    if (bytes > this.maxFrameBytes) {
      if (events.length > 1) {
        const mid = events.length >> 1;
        this.append(events.slice(0, mid));
        return this.append(events.slice(mid));
      }
      const kind = events[0]?.kind ?? 'gap';
      this.log.error(
        { kind, bytes, maxFrameBytes: this.maxFrameBytes },
        'one event is larger than a frame may be; dropped',
      );
      const reason = `a ${kind} event of ${bytes} bytes exceeded the frame limit`;
      this.pendingGaps.push({ at: this.now(), source: 'spool', reason, fromSeq: null, toSeq: null });
      return this.append([]);
    }
    this._lastSeq = seq;
    // Dropping adds a gap event, which makes the frame longer: repeat until it fits (or nothing is left).
    while (this.makeRoom(bytes)) {
      json = this.frame(seq, events);
      bytes = Buffer.byteLength(json);
    }
    const gaps = this.pendingGaps.length > 0 ? this.pendingGaps : null;
    this.pendingGaps = [];
    const entry: Entry = { seq, bytes, json, seg: null, offset: 0, gone: false, gaps, cached: null };
    this.entries.push(entry);
    this.totalBytes += bytes;
    this.appendedBytes += bytes;
    this.memBytes += bytes;
    this.write(entry);
    return { seq, json };
  }

  /** The frame of an unacked batch, from memory or disk; null (logged, gap recorded) when its file is unreadable. */
  read(seq: number): SpooledBatch | null {
    const entry = this.entries[this.indexAfter(seq - 1)];
    if (!entry || entry.seq !== seq) return null;
    if (entry.json !== null) return { seq, json: entry.json };
    if (entry.cached !== null) return { seq, json: entry.cached };
    const seg = entry.seg;
    if (seg === null) return null;
    const path = join(this.dir, seg.name);
    try {
      const json = this.readLine(path, entry.offset, entry.bytes);
      const batch = JSON.parse(json) as Partial<Batch>;
      if (batch.type !== 'batch' || batch.seq !== seq || !Array.isArray(batch.events)) {
        throw new Error('not the batch its place in the segment says');
      }
      return { seq, json };
    } catch (err) {
      if (entry.gone) return null;
      this.log.warn(
        { path, offset: entry.offset, seq, err: (err as Error).message },
        'spool batch is corrupt or unreadable; skipping it and recording a gap',
      );
      this.mark('skip', seq);
      this.remove(this.entries.indexOf(entry), 1);
      this.addGap(seq, seq, 'spool file unreadable');
      return null;
    }
  }

  private readLine(path: string, offset: number, bytes: number): string {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(bytes);
      let got = 0;
      while (got < bytes) {
        const n = readSync(fd, buf, got, bytes - got, offset + got);
        if (n === 0) throw new Error(`cut short at ${got} of ${bytes} bytes`);
        got += n;
      }
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  }

  /** First unacked batch after `seq`, or null when there is none. */
  next(afterSeq: number): SpooledBatch | null {
    for (;;) {
      const entry = this.entries[this.indexAfter(afterSeq)];
      if (!entry) return null;
      const batch = this.read(entry.seq);
      if (batch) return batch;
      afterSeq = entry.seq;
    }
  }

  /** Unacked batches after `afterSeq` in order, including ones appended while iterating. */
  *unacked(afterSeq = 0): Generator<SpooledBatch> {
    for (let b = this.next(afterSeq); b; b = this.next(b.seq)) yield b;
  }

  /** The hub stored every batch up to `seq`: delete them. A seq beyond ours moves our numbering past it. */
  ack(seq: number): void {
    if (seq <= this.ackedSeq) return;
    this.ackedSeq = seq;
    const removed = this.indexAfter(seq);
    // The mark first: the segments it empties may hold the highest sequence.
    if (removed > 0) this.mark('done', seq);
    this.remove(0, removed);
    if (removed > 0 && this.entries.length === 0) {
      const bytes = this.appendedBytes;
      this.appendedBytes = 0;
      this.onDrained?.(bytes);
    }
    if (seq > this._lastSeq) {
      this._lastSeq = seq;
      if (removed === 0) this.saveState(); // the hub knows more than we do: remember it
    }
  }

  /** Records in the segment that batches up to `seq` are done (acknowledged or dropped), or that `seq` was skipped. */
  private mark(kind: 'done' | 'skip', seq: number): void {
    const line = `{"${kind}":${seq}}`;
    this.writeLine(line, line.length, seq);
  }

  private frame(seq: number, events: CollectorEvent[]): string {
    const gaps = this.pendingGaps.map((gap): CollectorEvent => ({ kind: 'gap', gap: { ...gap } }));
    const batch: Batch = {
      type: 'batch',
      seq,
      sentAt: this.now(),
      events: gaps.length ? [...gaps, ...events] : events,
    };
    return JSON.stringify(batch);
  }

  /** Drops the oldest batches until `bytes` more fit, recording the dropped range as a gap; true if it dropped. */
  private makeRoom(bytes: number): boolean {
    const dropped: Entry[] = [];
    let total = this.totalBytes;
    let mem = this.memBytes;
    for (const e of this.entries) {
      if (total + bytes <= this.maxBytes && mem + bytes <= this.memoryMaxBytes) break;
      dropped.push(e);
      total -= e.bytes;
      if (e.json !== null) mem -= e.bytes;
    }
    if (dropped.length === 0) return false;
    const from = (dropped[0] as Entry).seq;
    const to = (dropped[dropped.length - 1] as Entry).seq;
    this.log.warn(
      { fromSeq: from, toSeq: to, maxBytes: this.maxBytes },
      'spool full (hub unreachable for long?): dropped the oldest batches; raise --spool-max-bytes to keep more',
    );
    this.mark('done', to);
    this.remove(0, dropped.length);
    // The dropped batches may carry earlier gaps (an earlier overflow): record them again, merged.
    for (const g of dropped.flatMap((e) => e.gaps ?? [])) {
      if (g.fromSeq !== null && g.toSeq !== null) this.addGap(g.fromSeq, g.toSeq, g.reason, g.at);
      else this.pendingGaps.push(g);
    }
    this.addGap(from, to, `spool full (cap ${this.maxBytes} bytes): oldest batches dropped`);
    return true;
  }

  /** Records a lost range, merged into a pending gap of the same reason that it touches. */
  private addGap(fromSeq: number, toSeq: number, reason: string, at = this.now()): void {
    const near = this.pendingGaps.find(
      (g) =>
        g.reason === reason &&
        g.fromSeq !== null &&
        g.toSeq !== null &&
        g.fromSeq - 1 <= toSeq &&
        fromSeq <= g.toSeq + 1,
    );
    if (near) {
      near.fromSeq = Math.min(near.fromSeq as number, fromSeq);
      near.toSeq = Math.max(near.toSeq as number, toSeq);
      near.at = Math.min(near.at, at);
      return;
    }
    this.pendingGaps.push({ at, source: 'spool', reason, fromSeq, toSeq });
  }

  /**
   * Removes entries [start, start+count). Removals are prefixes (acks, drops) or single corrupt batches, so
   * splice keeps this O(count). A segment left without unacked batches is deleted unless it is being written.
   */
  private remove(start: number, count: number): void {
    if (start < 0 || count <= 0) return;
    for (const e of this.entries.splice(start, count)) {
      e.gone = true;
      this.totalBytes -= e.bytes;
      if (e.json !== null) this.memBytes -= e.bytes;
      if (e.cached !== null) this.cachedBytes -= e.bytes;
      e.json = null;
      e.cached = null;
      if (e.seg !== null && --e.seg.live === 0 && e.seg !== this.current) this.deleteSegment(e.seg);
    }
  }

  /**
   * Deletes a segment none of whose batches is unacked. The highest sequence must survive a restart: when no
   * newer record is in the segment being written, stream.json takes it first (rare: the `done` mark of an ack
   * that empties segments is written before they go).
   */
  private deleteSegment(seg: Segment): void {
    const newer = Math.max(this.current?.maxSeq ?? 0, this.stateSeq);
    if (seg.maxSeq > newer) this.saveState();
    this.unlinkQuiet(join(this.dir, seg.name));
  }

  /** Index of the first entry with seq > `seq` (entries are sorted). */
  private indexAfter(seq: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.entries[mid] as Entry).seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private write(entry: Entry): void {
    if (entry.json === null) return;
    const seg = this.writeLine(entry.json, entry.bytes, entry.seq);
    if (seg === null) return;
    entry.seg = seg;
    entry.offset = seg.size - entry.bytes - 1;
    seg.live++;
    if (this.cachedBytes + entry.bytes <= CACHE_MAX_BYTES) {
      entry.cached = entry.json;
      this.cachedBytes += entry.bytes;
    }
    entry.json = null;
    this.memBytes -= entry.bytes;
    if (seg.size >= SEGMENT_BYTES) this.endSegment();
  }

  /**
   * Appends one line (a batch, or a mark) to the segment being written, starting one if needed; returns
   * that segment, or null (logged) when the disk refused. After a failed write the segment is not written
   * again: its last line may be cut short.
   */
  private writeLine(text: string, bytes: number, seq: number): Segment | null {
    let seg = this.current;
    try {
      seg ??= this.startSegment();
      const wrote = writeSync(seg.fd as number, `${text}\n`);
      if (wrote !== bytes + 1) throw new Error(`short write: ${wrote} of ${bytes + 1} bytes`);
      if (this.fsync) fsyncSync(seg.fd as number);
      seg.size += wrote;
      seg.maxSeq = Math.max(seg.maxSeq, seq);
    } catch (err) {
      if (seg !== null) this.endSegment();
      this.diskError('cannot write to the spool; keeping batches in memory only', err);
      return null;
    }
    if (!this.diskOk) {
      this.diskOk = true;
      this.log.info({ dir: this.dir }, 'spool disk writes work again');
    }
    return seg;
  }

  /** Creates the next segment (a new file: never appended after a line a crash may have cut short). */
  private startSegment(): Segment {
    for (;;) {
      const name = `${pad(this._lastSeq)}.${this.segmentCount++}.seg`;
      let fd: number;
      try {
        fd = openSync(join(this.dir, name), 'ax', 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      this.current = { name, fd, size: 0, live: 0, maxSeq: 0 };
      return this.current;
    }
  }

  /** Stops writing the segment; it is deleted now if none of its batches is unacked, else with the last. */
  private endSegment(): void {
    const seg = this.current;
    this.close();
    if (seg !== null && seg.live === 0) this.deleteSegment(seg);
  }

  /** Closes the segment being written (the collector stops); the spool stays valid on disk as after a crash. */
  close(): void {
    const seg = this.current;
    if (seg === null) return;
    this.current = null;
    try {
      closeSync(seg.fd as number);
    } catch {}
    seg.fd = null;
  }

  private writeFile(name: string, text: string): void {
    const fd = openSync(join(this.dir, name), 'w', 0o600);
    try {
      writeSync(fd, text);
      if (this.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Replaces a file whole: a temporary file renamed over it. */
  private writeAtomic(name: string, text: string): void {
    this.writeFile(`${name}.tmp`, text);
    renameSync(join(this.dir, `${name}.tmp`), join(this.dir, name));
  }

  private saveState(): void {
    const state = { streamId: this._streamId, lastSeq: Math.max(this._lastSeq, this.ackedSeq) };
    try {
      this.writeAtomic(STATE_FILE, `${JSON.stringify(state)}\n`);
      this.stateSeq = state.lastSeq;
    } catch (err) {
      this.diskError('cannot write stream.json', err);
    }
  }

  private unlinkQuiet(path: string): void {
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.diskError('cannot delete a spool file', err);
    }
  }

  /** Logs the first disk error, then at most once a minute, always saying what to check. */
  private diskError(what: string, err: unknown): void {
    const t = this.now();
    if (this.diskOk || t - this.lastDiskErrorLog >= DISK_ERROR_LOG_EVERY_MS) {
      this.log.error(
        { dir: this.dir, err: (err as Error).message, memoryBytes: this.memBytes },
        `${what}: check free space and permissions of the --spool directory (FTPSCOPE_SPOOL)`,
      );
      this.lastDiskErrorLog = t;
    }
    this.diskOk = false;
  }

  private load(): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      this._streamId = randomUUID();
      this.diskError('cannot create the spool directory; spooling in memory only', err);
      return;
    }
    const state = this.loadState();
    this._streamId = state?.streamId ?? randomUUID();
    this.stateSeq = state?.lastSeq ?? 0;
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      this.diskError('cannot list the spool directory', err);
    }
    const segments: Segment[] = [];
    let done = 0;
    const skipped = new Set<number>();
    let top = this.stateSeq;
    for (const name of names.sort()) {
      if (name.endsWith('.tmp')) {
        this.unlinkQuiet(join(this.dir, name)); // stream.json's write cut short by a crash
      } else if (SEGMENT_RE.test(name)) {
        const seg = this.scanSegment(name);
        if (seg === null) continue;
        segments.push(seg.segment);
        done = Math.max(done, seg.done);
        for (const q of seg.skipped) skipped.add(q);
        top = Math.max(top, seg.segment.maxSeq);
      } else if (LEGACY_BATCH_RE.test(name)) {
        const seq = Number(name.slice(0, 16));
        try {
          const { size } = statSync(join(this.dir, name));
          const segment: Segment = { name, fd: null, size, live: 0, maxSeq: seq };
          segments.push(segment);
          this.addEntry(segment, seq, 0, size);
          top = Math.max(top, seq);
        } catch (err) {
          this.diskError('cannot stat a spool file', err);
        }
      } else if (name === LEGACY_ACKED_FILE) {
        top = Math.max(top, this.legacyAckedSeq());
      }
    }
    this.entries.sort((x, y) => x.seq - y.seq);
    this._lastSeq = top;
    if (state === null || this._lastSeq > this.stateSeq) this.saveState();
    // Batches up to the highest `done` mark and the skipped ones are not sent again; segments with none left go.
    for (const seg of segments) if (seg.live === 0) this.unlinkQuiet(join(this.dir, seg.name));
    this.ackedSeq = done;
    this.remove(0, this.indexAfter(done));
    for (const q of skipped) {
      const i = this.indexAfter(q - 1);
      if (this.entries[i]?.seq === q) this.remove(i, 1);
    }
    if (names.includes(LEGACY_ACKED_FILE) && this.stateSeq >= this._lastSeq)
      this.unlinkQuiet(join(this.dir, LEGACY_ACKED_FILE));
    this.log.info(
      {
        dir: this.dir,
        streamId: this._streamId,
        lastSeq: this._lastSeq,
        unacked: this.entries.length,
        bytes: this.totalBytes,
      },
      'spool opened',
    );
  }

  /** Reads a segment's lines: its batches become entries; returns it with its highest `done` mark and skips. */
  private scanSegment(name: string): { segment: Segment; done: number; skipped: number[] } | null {
    let buf: Buffer;
    try {
      buf = readFileSync(join(this.dir, name));
    } catch (err) {
      this.diskError('cannot read a spool segment', err);
      return null;
    }
    const segment: Segment = { name, fd: null, size: buf.length, live: 0, maxSeq: 0 };
    let done = 0;
    const skipped: number[] = [];
    let unknown = 0;
    for (let start = 0; start < buf.length; ) {
      const nl = buf.indexOf(0x0a, start);
      const end = nl === -1 ? buf.length : nl;
      const head = buf.toString('latin1', start, Math.min(end, start + 48));
      const batch = BATCH_LINE_RE.exec(head);
      const mark = batch || nl === -1 ? null : MARK_LINE_RE.exec(head);
      if (batch) {
        // A line cut short by a crash is kept too: it reads back as corrupt, i.e. a gap.
        const seq = Number(batch[1]);
        this.addEntry(segment, seq, start, end - start);
        segment.maxSeq = Math.max(segment.maxSeq, seq);
      } else if (mark) {
        const seq = Number(mark[2]);
        if (mark[1] === 'done') done = Math.max(done, seq);
        else skipped.push(seq);
        segment.maxSeq = Math.max(segment.maxSeq, seq);
      } else if (end > start) unknown++;
      start = end + 1;
    }
    if (unknown > 0)
      this.log.warn(
        { path: join(this.dir, name), lines: unknown },
        'spool segment has lines that are not batches; skipped',
      );
    return { segment, done, skipped };
  }

  private addEntry(seg: Segment, seq: number, offset: number, bytes: number): void {
    seg.live++;
    this.entries.push({ seq, bytes, json: null, seg, offset, gone: false, gaps: null, cached: null });
    this.totalBytes += bytes;
  }

  /** The sequence of a version before segments kept in last-acked.json (0 when unreadable). */
  private legacyAckedSeq(): number {
    try {
      const seq = (JSON.parse(readFileSync(join(this.dir, LEGACY_ACKED_FILE), 'utf8')) as Partial<Batch>).seq;
      return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : 0;
    } catch {
      return 0;
    }
  }

  private loadState(): { streamId: string; lastSeq: number } | null {
    const path = join(this.dir, STATE_FILE);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.diskError('cannot read stream.json', err);
      return null;
    }
    try {
      const state = JSON.parse(text) as { streamId?: unknown; lastSeq?: unknown };
      if (
        typeof state.streamId === 'string' &&
        /^[A-Za-z0-9-]{8,64}$/.test(state.streamId) &&
        Number.isSafeInteger(state.lastSeq) &&
        (state.lastSeq as number) >= 0
      ) {
        return { streamId: state.streamId, lastSeq: state.lastSeq as number };
      }
      throw new Error('unexpected content');
    } catch (err) {
      this.log.warn({ path, err: (err as Error).message }, 'stream.json is corrupt; starting a new stream');
      return null;
    }
  }
}
