import type { CollectorEvent } from '@ftpscope/shared';
import { loadRecording, replayRound, setupEvents } from './recording.ts';

/**
 * The recorded session cut into batches of `size` events, round after round with fresh ids, as objects and as
 * JSON (serialised once, so simulated collectors spend their CPU on the socket, not on JSON.stringify).
 */
export class Batches {
  private readonly recording = loadRecording();
  private readonly perRound: number;
  private readonly rounds = new Map<number, CollectorEvent[][]>();
  private readonly json = new Map<number, string>();
  readonly setup: CollectorEvent[];

  constructor(private readonly size: number) {
    this.setup = setupEvents(this.recording);
    this.perRound = Math.ceil(replayRound(this.recording, 0).length / size);
  }

  /** Batch i (rounds repeat the recording with new ids). */
  events(i: number): CollectorEvent[] {
    const round = Math.floor(i / this.perRound);
    let chunks = this.rounds.get(round);
    if (!chunks) {
      this.rounds.clear(); // callers move forward: keep one round of objects, not the whole history
      const evs = replayRound(this.recording, round);
      chunks = [];
      for (let k = 0; k < evs.length; k += this.size) chunks.push(evs.slice(k, k + this.size));
      this.rounds.set(round, chunks);
    }
    return chunks[i % this.perRound] as CollectorEvent[];
  }

  /** Batch i's events as a JSON array. */
  eventsJson(i: number): string {
    let s = this.json.get(i);
    if (s === undefined) {
      s = JSON.stringify(this.events(i));
      this.json.set(i, s);
    }
    return s;
  }
}
