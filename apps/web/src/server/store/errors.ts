/** Raised when the store cannot be opened or reached; the message says what to do. */
export class StoreOpenError extends Error {}
