export * from './api.ts';
export * from './collector-tokens.ts';
export * from './domain.ts';
export * from './errors.ts';
export * from './event-semantics.ts';
export * from './firewall.ts';
export * from './protocol.ts';
export * from './trace.ts';
