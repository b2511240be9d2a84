import { isIP } from 'node:net';
import { type ConnectionOptions, connect, type TLSSocket } from 'node:tls';
import { spkiPin } from '@ftpscope/shared/tls-pin';

/** The hub presented a certificate whose key is not the pinned one: nothing was sent to it. */
export class PinMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`hub certificate key ${actual} does not match the pinned ${expected}`);
  }
}

type OnSocket = (err: Error | null, socket?: TLSSocket) => void;

/**
 * A `createConnection` for ws/http that hands the socket over only once the hub's certificate key matches
 * `expected` (`sha256//BASE64`). The pin replaces CA and host-name checks (the hub's certificate is usually
 * self-signed); until it matched, the HTTP upgrade (and its Authorization header) is not even written.
 */
export function pinnedConnect(expected: string) {
  return (opts: ConnectionOptions & { path?: string; timeout?: number }, done: OnSocket): undefined => {
    const host = opts.host ?? 'localhost';
    const socket = connect({
      ...opts,
      path: undefined,
      servername: opts.servername || (isIP(host) ? undefined : host),
      rejectUnauthorized: false,
    });
    const fail = (err: Error) => {
      socket.destroy();
      done(err);
    };
    socket.setTimeout(opts.timeout ?? 10_000, () => fail(new Error('TLS handshake with the hub timed out')));
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.setTimeout(0);
      socket.off('error', fail);
      const raw = socket.getPeerCertificate()?.raw;
      const actual = raw ? spkiPin(raw) : 'none (the hub sent no certificate)';
      if (actual !== expected) {
        fail(new PinMismatchError(expected, actual));
        return;
      }
      done(null, socket);
    });
    return undefined;
  };
}
