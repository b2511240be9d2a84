import { type FileHandle, open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

export interface LogFollowerOptions {
  path: string;
  /** The complete lines of one read (up to 64 KiB of the file), in order. */
  onLines(lines: string[]): void;
  /** Start at the end of the file (true: only new lines) or at its beginning. */
  fromEnd: boolean;
  pollMs?: number;
}

/**
 * Follows a log file across rotation without losing lines: tracks inode and offset; when the path gets a new
 * inode (rename rotation) the old file is read to its end before the new one is read from its start; when the
 * file shrinks (copytruncate) reading restarts at 0. Partial last lines wait for their newline.
 */
export class LogFollower {
  private fh: FileHandle | null = null;
  private ino = -1;
  private offset = 0;
  private rest = '';
  /** Keeps a character split between two reads whole. */
  private decoder = new StringDecoder('utf8');
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(private readonly opts: LogFollowerOptions) {}

  async start(): Promise<void> {
    await this.openCurrent(this.opts.fromEnd);
    // A read racing stop() fails with "file closed", a vanished file with ENOENT: the next poll starts over.
    this.timer = setInterval(() => void this.poll().catch(() => {}), this.opts.pollMs ?? 250);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.fh?.close().catch(() => {});
    this.fh = null;
  }

  /** Reads whatever is new; exposed so tests can drive it without waiting for the timer. */
  async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const st = await stat(this.opts.path).catch(() => null);
      if (!this.fh) {
        if (st) await this.openCurrent(false);
      } else if (st && st.ino !== this.ino) {
        await this.drain();
        // The rotated file's last line may lack its newline; it is complete now that the file is closed.
        const last = this.rest + this.decoder.end();
        if (last !== '') this.opts.onLines([last]);
        await this.fh.close().catch(() => {});
        this.fh = null;
        await this.openCurrent(false);
      } else {
        const cur = await this.fh.stat();
        if (cur.size < this.offset) {
          this.offset = 0;
          this.rest = '';
          this.decoder = new StringDecoder('utf8');
        }
      }
      await this.drain();
    } finally {
      this.busy = false;
    }
  }

  private async openCurrent(fromEnd: boolean): Promise<void> {
    try {
      this.fh = await open(this.opts.path, 'r');
      const st = await this.fh.stat();
      this.ino = st.ino;
      this.offset = fromEnd ? st.size : 0;
      this.rest = '';
      this.decoder = new StringDecoder('utf8');
    } catch {
      this.fh = null;
    }
  }

  private async drain(): Promise<void> {
    if (!this.fh) return;
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      const parts = (this.rest + this.decoder.write(buf.subarray(0, bytesRead))).split('\n');
      this.rest = parts.pop() ?? '';
      if (parts.length > 0) this.opts.onLines(parts);
    }
  }
}
