import { randomBytes } from 'node:crypto';
import { PROTOCOL_VERSION } from '@ftpscope/shared';
import WebSocket from 'ws';

/** A simulated collector: speaks the real protocol (hello → welcome, batches → acks) over a real WebSocket. */
export class ReplayClient {
  private ws!: WebSocket;
  private seq = 0;
  private readonly sentAt = new Map<number, { t: number; n: number }>();
  private waiters: (() => void)[] = [];
  /** Round-trip of each acknowledged batch (ms): send → ack, i.e. network + validation + commit. */
  readonly ackMs: number[] = [];
  /** Events in acknowledged batches. */
  ackedEvents = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
    readonly host: string,
  ) {}

  /** Connects and says hello; resolves on welcome. */
  async connect(): Promise<void> {
    this.ws = new WebSocket(this.url, {
      headers: { authorization: `Bearer ${this.token}` },
      perMessageDeflate: false,
    });
    await new Promise<void>((resolve, reject) => {
      this.ws.once('error', reject);
      this.ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
      this.ws.once('open', () => {
        this.ws.send(
          JSON.stringify({
            type: 'hello',
            protocolVersion: PROTOCOL_VERSION,
            host: this.host,
            collectorVersion: 'bench',
            kernel: 'bench',
            backends: [],
            capabilities: [],
            streamId: randomBytes(8).toString('hex'),
            lastSeq: 0,
          }),
        );
      });
      this.ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { type: string; seq?: number };
        if (msg.type === 'welcome') resolve();
        else if (msg.type === 'ack' && msg.seq !== undefined) this.onAck(msg.seq);
      });
    });
  }

  private onAck(seq: number): void {
    for (const [s, b] of this.sentAt) {
      if (s > seq) break;
      this.ackMs.push(performance.now() - b.t);
      this.sentAt.delete(s);
      this.ackedEvents += b.n;
    }
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Batches sent but not acknowledged yet. */
  get inFlight(): number {
    return this.sentAt.size;
  }

  /**
   * Sends one batch whose events are already serialised (a JSON array); waits while `window` are unacked.
   * `scheduledAt` (performance.now() time the batch was due) makes its ack latency count from then, so a paced
   * sender that fell behind still sees the delay (no coordinated omission).
   */
  async send(eventsJson: string, count: number, window = 2, scheduledAt?: number): Promise<void> {
    while (this.sentAt.size >= window) await new Promise<void>((r) => this.waiters.push(r));
    const seq = ++this.seq;
    this.sentAt.set(seq, { t: scheduledAt ?? performance.now(), n: count });
    this.ws.send(`{"type":"batch","seq":${seq},"sentAt":${Date.now()},"events":${eventsJson}}`);
  }

  /** Waits until every batch sent so far is acknowledged. */
  async drain(): Promise<void> {
    while (this.sentAt.size > 0) await new Promise<void>((r) => this.waiters.push(r));
  }

  close(): void {
    this.ws.close(1000);
  }
}
