import type { FtpLogRecord } from '../ftp-servers/log-record.ts';
import { parseExtendedHostPort, parseHostPort } from '../ftp-servers/log-record.ts';

/** What the server log says about a session's data channels, in the order it happened. */
export type ChannelSignal =
  /** The client asked for a data channel (PASV/EPSV, or PORT/EPRT with its address and port). */
  | {
      type: 'ask';
      at: number;
      mode: 'passive' | 'active';
      command: string;
      address: string | null;
      port: number | null;
    }
  /** The server's PASV/EPSV reply: where the client is to connect (EPSV: no address, the control one). */
  | { type: 'offer'; at: number; address: string | null; port: number }
  /** The server refused the PASV/PORT command, or reported the data connection failed (425/426). */
  | { type: 'failed'; at: number; code: number; text: string; onCommand: boolean }
  /** A transfer (or listing) ended, with its size as the server counted it. */
  | { type: 'transfer'; at: number; bytes: number; ok: boolean };

const ASKS: Record<string, 'passive' | 'active'> = {
  PASV: 'passive',
  EPSV: 'passive',
  PORT: 'active',
  EPRT: 'active',
};

/**
 * Turns one log record into the signal it carries, if any. `lastCommand` is the session's previous
 * command, so a 5xx reply can be told to belong to PASV/PORT.
 */
export function channelSignal(rec: FtpLogRecord, lastCommand: string | null): ChannelSignal | null {
  if (rec.kind === 'command') {
    const mode = ASKS[rec.command];
    if (!mode) return null;
    if (mode === 'passive')
      return { type: 'ask', at: rec.at, mode, command: rec.command, address: null, port: null };
    const hp = rec.command === 'PORT' ? parseHostPort(rec.arg) : parseExtendedHostPort(rec.arg);
    return {
      type: 'ask',
      at: rec.at,
      mode,
      command: rec.command,
      address: hp?.address ?? null,
      port: hp?.port ?? null,
    };
  }
  if (rec.kind === 'response') {
    if (rec.code === 227) {
      const hp = parseHostPort(rec.text);
      return hp ? { type: 'offer', at: rec.at, address: hp.address, port: hp.port } : null;
    }
    if (rec.code === 229) {
      const hp = parseExtendedHostPort(rec.text);
      return hp ? { type: 'offer', at: rec.at, address: null, port: hp.port } : null;
    }
    if (rec.code === 425 || rec.code === 426)
      return { type: 'failed', at: rec.at, code: rec.code, text: rec.text, onCommand: false };
    if (rec.code >= 400 && lastCommand !== null && ASKS[lastCommand])
      return { type: 'failed', at: rec.at, code: rec.code, text: rec.text, onCommand: true };
    return null;
  }
  if (rec.kind === 'transfer' && rec.direction !== 'mkdir')
    return { type: 'transfer', at: rec.at, bytes: rec.bytes, ok: rec.ok };
  return null;
}
