/** One catalogue of the errors ftpscope reports: a code, a message, an HTTP status and/or a WebSocket close code. */
export const ERRORS = {
  FTPSCOPE_ERR_UNAUTHORIZED: { status: 401, close: 4401, message: 'missing or wrong token' },
  FTPSCOPE_ERR_HOST_FORBIDDEN: {
    status: 403,
    close: 4403,
    message: 'this token may not report for this host',
  },
  FTPSCOPE_ERR_BAD_JSON: { status: 400, close: 4400, message: 'frame is not valid JSON' },
  FTPSCOPE_ERR_SCHEMA: { status: 400, close: 4422, message: 'message does not match the protocol schema' },
  FTPSCOPE_ERR_PROTOCOL_VERSION: { status: 400, close: 4426, message: 'unsupported protocol version' },
  FTPSCOPE_ERR_NO_HELLO: { status: 400, close: 4412, message: 'first message must be hello' },
  FTPSCOPE_ERR_SEQUENCE: {
    status: 400,
    close: 4409,
    message: 'sequence numbers must increase on a connection',
  },
  FTPSCOPE_ERR_HOST_TAKEN: {
    status: 409,
    close: 4408,
    message: 'another collector is connected for this host',
  },
  FTPSCOPE_ERR_RATE_LIMIT: { status: 429, close: 4429, message: 'too many messages' },
  FTPSCOPE_ERR_TOO_LARGE: { status: 413, close: 1009, message: 'frame exceeds the size limit' },
  FTPSCOPE_ERR_NOT_FOUND: { status: 404, close: 4404, message: 'not found' },
  FTPSCOPE_ERR_BAD_PARAM: { status: 400, close: 4400, message: 'invalid parameter' },
  FTPSCOPE_ERR_INTERNAL: { status: 500, close: 1011, message: 'internal error' },
  FTPSCOPE_ERR_BAD_ORIGIN: {
    status: 403,
    close: 4403,
    message: "the request's Origin is not this hub's address (cross-site requests are refused)",
  },
  FTPSCOPE_ERR_NO_PACKAGE: {
    status: 404,
    close: 4404,
    message: 'this hub has no collector package for that architecture',
  },
  FTPSCOPE_ERR_TRACE_UNKNOWN_HOST: { status: 404, close: 4404, message: 'no such host to trace' },
  FTPSCOPE_ERR_TRACE_UNKNOWN_CLIENT: {
    status: 404,
    close: 4404,
    message: 'this client has no FTP session on this host; only clients of the host can be traced',
  },
  FTPSCOPE_ERR_TRACE_BAD_CLIENT: {
    status: 400,
    close: 4400,
    message: 'client must be one IPv4 or IPv6 address (no prefix, port, name or expression)',
  },
  FTPSCOPE_ERR_TRACE_TOO_LONG: {
    status: 400,
    close: 4400,
    message: 'trace duration over the limit of 300 s',
  },
  FTPSCOPE_ERR_TRACE_BUSY: { status: 409, close: 4409, message: 'a trace is already running on this host' },
  FTPSCOPE_ERR_TRACE_HOST_OFFLINE: {
    status: 409,
    close: 4409,
    message: "the host's collector is not connected; start it, then trace",
  },
  FTPSCOPE_ERR_TRACE_UNSUPPORTED: {
    status: 501,
    close: 4501,
    message: "the host's collector cannot trace (upgrade it, and give it tcpdump and CAP_NET_RAW)",
  },
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** An error carrying one of the catalogue's codes. */
export class FtpscopeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly closeCode: number;

  constructor(code: ErrorCode, detail?: string) {
    const entry = ERRORS[code];
    super(detail ? `${entry.message}: ${detail}` : entry.message);
    this.code = code;
    this.status = entry.status;
    this.closeCode = entry.close;
  }
}
