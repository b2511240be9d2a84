/** Commands whose argument is a secret: never kept, sent or shown (RFC 959 PASS and ACCT). */
const SECRET_COMMANDS = /^(\s*(?:PASS|ACCT))(?:\s.*)?$/is;

/** What a secret argument is replaced with: its length is not kept either. */
export const MASK = '****';

/**
 * A command line with a secret argument masked: "PASS hunter2" → "PASS ****", "pass" → "PASS ****" stays
 * recognisable; every other command is returned as is. The collector masks before a line leaves the host, and
 * the hub masks again on ingest, so an older or foreign collector cannot put a password in the database.
 */
export function maskFtpCommand(text: string): string {
  const m = SECRET_COMMANDS.exec(text);
  return m ? `${(m[1] as string).trim().toUpperCase()} ${MASK}` : text;
}

/** Commands that move data over a data channel (listings and transfers). */
export const TRANSFER_VERBS: ReadonlySet<string> = new Set([
  'LIST',
  'NLST',
  'MLSD',
  'RETR',
  'STOR',
  'APPE',
  'STOU',
]);

/** The verb of a command line ("RETR small.txt" → "RETR"), upper case. */
export function commandVerb(text: string): string {
  const sp = text.indexOf(' ');
  return (sp < 0 ? text : text.slice(0, sp)).toUpperCase();
}

/** The transfer verbs of a dialogue's commands, in order ("LIST", "RETR" …): what its data channels were for. */
export function transferVerbs(lines: ReadonlyArray<{ dir: string; text: string }>): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l.dir !== 'command') continue;
    const verb = commandVerb(l.text);
    if (TRANSFER_VERBS.has(verb)) out.push(verb);
  }
  return out;
}
