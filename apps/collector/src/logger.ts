import { type DestinationStream, type LevelWithSilent, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Log levels accepted by --log-level. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Paths pino censors: tokens must never reach a log, whatever object carries them. */
const REDACT = ['token', '*.token', 'config.token', 'headers.authorization', '*.headers.authorization'];

/** JSON logs to stderr (stdout is reserved for `--once --json`); `dest` lets tests capture them. */
export function createLogger(level: LevelWithSilent = 'info', dest?: DestinationStream): Logger {
  return pino(
    { level, base: { app: 'ftpscope-collector' }, redact: { paths: REDACT, censor: '[redacted]' } },
    dest ?? pino.destination({ fd: 2, sync: true }),
  );
}
