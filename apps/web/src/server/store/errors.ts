/** Raised when the store cannot be opened or reached; the message says what to do. */
export class StoreOpenError extends Error {}

/** Raised by writeBatch when another hub attached the stream after this one: this hub must stop writing it. */
export class StreamMovedError extends Error {
  constructor(
    readonly host: string,
    readonly owner: string,
  ) {
    super(`the stream of host ${host} moved to hub ${owner}`);
  }
}

/** Raised by hosts.hello while another live hub serves the host from another collector stream. */
export class HostTakenError extends Error {
  constructor(
    readonly host: string,
    readonly hub: string,
  ) {
    super(`host ${host} is already reported by another collector, on hub ${hub}`);
  }
}
