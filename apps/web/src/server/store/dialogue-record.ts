import { type DialogueLine, maskFtpCommand, transferVerbs } from '@ftpscope/shared';

/** A session's dialogue as both engines store it. */
export interface StoredDialogue {
  /** The time of its last line (retention prunes by it). */
  at: number;
  lines: DialogueLine[];
  omitted: number;
  /** The transfer commands (LIST, RETR …) in order: what Investigate groups sessions by. */
  verbs: string[];
}

/**
 * What a session report's dialogue becomes in the database, whatever the engine: commands masked again (a
 * collector that did not mask cannot put a password in the database) and the transfer verbs beside them.
 * Null for a report without dialogue, which leaves the stored one as it is.
 */
export function storedDialogue(
  lines: DialogueLine[] | undefined,
  omitted: number | undefined,
): StoredDialogue | null {
  const last = lines?.at(-1);
  if (!lines || !last) return null;
  const masked = lines.map((l) => (l.dir === 'command' ? { ...l, text: maskFtpCommand(l.text) } : l));
  return { at: last.at, lines: masked, omitted: omitted ?? 0, verbs: transferVerbs(masked) };
}
