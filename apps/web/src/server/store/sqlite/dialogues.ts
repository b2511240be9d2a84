import type { DialogueLine } from '@ftpscope/shared';
import { storedDialogue } from '../dialogue-record.ts';
import type { DialogueRecord } from '../records.ts';
import type { Db } from './db.ts';

/**
 * Session dialogues (one row per session, replaced by each report), kept apart from the sessions table so
 * session lists never read them. Commands are masked again on the way in (storedDialogue).
 */
export class DialoguesRepo {
  readonly #upsert;
  readonly #get;

  constructor(db: Db) {
    this.#upsert = db.prepare(
      `INSERT INTO session_dialogues (host, session_id, at, lines, omitted, verbs) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(host, session_id) DO UPDATE SET at = excluded.at, lines = excluded.lines,
         omitted = excluded.omitted, verbs = excluded.verbs`,
    );
    this.#get = db.prepare('SELECT lines, omitted FROM session_dialogues WHERE host = ? AND session_id = ?');
  }

  /** Stores the dialogue a session report carries (no-op for an empty one). */
  upsert(host: string, sessionId: string, lines: DialogueLine[], omitted: number): void {
    const d = storedDialogue(lines, omitted);
    if (!d) return;
    this.#upsert.run(host, sessionId, d.at, JSON.stringify(d.lines), d.omitted, JSON.stringify(d.verbs));
  }

  /** The stored dialogue of one session, or null when none was reported. */
  get(host: string, sessionId: string): DialogueRecord | null {
    const row = this.#get.get(host, sessionId) as { lines: string; omitted: number } | undefined;
    return row ? { lines: JSON.parse(row.lines) as DialogueLine[], omitted: row.omitted } : null;
  }
}
