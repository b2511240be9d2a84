import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
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
/** The batch whose ack emptied the spool, kept so that its sequence survives a restart (see remove). */
const ACKED_FILE = 'last-acked.json';
const BATCH_RE = /^(\d{16})\.batch\.json$/;
const DISK_ERROR_LOG_EVERY_MS = 60_000;

export interface SpoolOptions {
  dir: string;
  /** Total size of unacknowledged batches kept; beyond it the oldest are dropped and a gap recorded. */
  maxBytes?: number;
  /** Batches held only in memory (disk failing) are capped at this many bytes. */
  memoryMaxBytes?: number;
  /** Largest frame the hub accepts: bigger batches are split (default MAX_FRAME_BYTES). */
  maxFrameBytes?: number;
  /** fsync each file before renaming it into place (default false: see the class comment). */
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

interface Entry {
  seq: number;
  bytes: number;
  /** The frame, while it is not (yet) on disk. */
  json: string | null;
  onDisk: boolean;
  /** Acked or dropped: a write still queued for it must not resurrect the file. */
  gone: boolean;
  /** Gaps this batch carries (recorded before it): dropping it must not lose their record. */
  gaps: Gap[] | null;
  /** The frame also kept in memory after it went to disk, so sending it does not read and parse the file. */
  cached: string | null;
}

/** Frames kept in memory after they are on disk, until acknowledged (normally a handful in flight). */
const CACHE_MAX_BYTES = 4 * 1024 * 1024;

const fileName = (seq: number) => `${String(seq).padStart(16, '0')}.batch.json`;

/**
 * Bounded on-disk spool of one stream: every batch is written to `<seq>.batch.json` (temp file, then
 * rename, so a reader never sees half a batch) and deleted once the hub acknowledges it. `stream.json`
 * keeps the stream id and the highest acked/produced sequence so numbering survives restarts. Disk errors
 * are logged and the spool carries on in memory (bounded): collecting never stops or crashes for the disk.
 *
 * fsync policy: writes are synchronous (a few µs into the page cache), so once append() returns the batch
 * survives kill -9 and crashes of the collector. Files are not fsynced by default (fsync at 5 batches/s
 * would stall the event loop on busy disks); with `fsync: true` each file is fsynced before its rename.
 * On power loss without fsync the last seconds of batches may be lost; the hub then sees a sequence gap.
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

  /** Opens (or creates) the spool in `dir`, loading the stream id, the sequence and unacked batch files. */
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
    const entry: Entry = { seq, bytes, json, onDisk: false, gone: false, gaps, cached: null };
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
    const path = join(this.dir, fileName(seq));
    try {
      const json = readFileSync(path, 'utf8');
      const batch = JSON.parse(json) as Partial<Batch>;
      if (batch.type !== 'batch' || batch.seq !== seq || !Array.isArray(batch.events)) {
        throw new Error('not a batch with the sequence of its file name');
      }
      return { seq, json };
    } catch (err) {
      if (entry.gone) return null;
      this.log.warn(
        { path, err: (err as Error).message },
        'spool file is corrupt or unreadable; skipping it and recording a gap',
      );
      this.remove(this.entries.indexOf(entry), 1);
      this.addGap(seq, seq, 'spool file unreadable');
      return null;
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
   * Removes entries [start, start+count). Removals are prefixes (acks, drops) or single corrupt files, so
   * splice keeps this O(count). stream.json is rewritten only when the highest sequence loses its file:
   * otherwise the remaining files carry the numbering across a restart, and acks cost no extra write.
   */
  private remove(start: number, count: number): void {
    if (start < 0 || count <= 0) return;
    const list = this.entries.splice(start, count);
    const top = list[list.length - 1] as Entry;
    const last = this.entries[this.entries.length - 1];
    // The highest sequence must survive a restart, also when no batch file is left: on a quiet host nearly every
    // ack empties the spool. Its own file renamed over the previous one records it in one rename, where
    // rewriting stream.json took a temporary file, a write and a rename (measured: 19 % of the main thread
    // under 10 FTP logins/s); stream.json when the batch is not on disk.
    let kept: Entry | null = null;
    if (last === undefined || last.seq < top.seq) {
      if (top.onDisk && this.keep(top)) kept = top;
      else this.saveState();
    }
    for (const e of list) {
      e.gone = true;
      this.totalBytes -= e.bytes;
      if (e.json !== null) this.memBytes -= e.bytes;
      if (e.cached !== null) this.cachedBytes -= e.bytes;
      e.json = null;
      e.cached = null;
      if (e.onDisk && e !== kept) this.unlinkQuiet(join(this.dir, fileName(e.seq)));
    }
  }

  /** Renames an acked batch's file over ACKED_FILE; false (logged) when that fails. */
  private keep(e: Entry): boolean {
    try {
      renameSync(join(this.dir, fileName(e.seq)), join(this.dir, ACKED_FILE));
      return true;
    } catch (err) {
      this.diskError('cannot keep the last acknowledged batch', err);
      return false;
    }
  }

  /** The sequence of ACKED_FILE (0 when there is none or it is unreadable: stream.json then has it). */
  private keptSeq(): number {
    try {
      const seq = (JSON.parse(readFileSync(join(this.dir, ACKED_FILE), 'utf8')) as Partial<Batch>).seq;
      return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : 0;
    } catch {
      return 0;
    }
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
    try {
      // Straight to its own new name: no old content for a temporary file and a rename to protect. A file cut
      // short by a crash reads back as corrupt, i.e. a gap.
      this.writeFile(fileName(entry.seq), entry.json);
    } catch (err) {
      this.diskError('cannot write a spool batch; keeping it in memory only', err);
      return;
    }
    entry.onDisk = true;
    if (this.cachedBytes + entry.bytes <= CACHE_MAX_BYTES) {
      entry.cached = entry.json;
      this.cachedBytes += entry.bytes;
    }
    entry.json = null;
    this.memBytes -= entry.bytes;
    if (!this.diskOk) {
      this.diskOk = true;
      this.log.info({ dir: this.dir }, 'spool disk writes work again');
    }
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
    this._lastSeq = state?.lastSeq ?? 0;
    this.ackedSeq = 0;
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch (err) {
      this.diskError('cannot list the spool directory', err);
    }
    for (const name of names.sort()) {
      if (name.endsWith('.tmp')) {
        this.unlinkQuiet(join(this.dir, name)); // a write cut short by a crash
        continue;
      }
      const m = BATCH_RE.exec(name);
      if (!m) continue;
      const seq = Number(m[1]);
      try {
        const { size } = statSync(join(this.dir, name));
        this.entries.push({
          seq,
          bytes: size,
          json: null,
          onDisk: true,
          gone: false,
          gaps: null,
          cached: null,
        });
        this.totalBytes += size;
        if (seq > this._lastSeq) this._lastSeq = seq;
      } catch (err) {
        this.diskError('cannot stat a spool file', err);
      }
    }
    if (state === null) this.saveState();
    else this._lastSeq = Math.max(this._lastSeq, this.keptSeq());
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
