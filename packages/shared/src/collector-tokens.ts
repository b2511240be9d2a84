import { type Static, Type as T } from '@sinclair/typebox';
import { Iso } from './api.ts';
import { HostName } from './domain.ts';

/** A pinned TLS public key: `sha256//` + base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo (curl's --pinnedpubkey form). */
export const TlsPin = T.String({ pattern: '^sha256//[A-Za-z0-9+/]{43}=$' });

/** The hub's base address as FTP hosts reach it: scheme, host and port, no path. */
export const HubUrl = T.String({ pattern: '^https?://[^/?#\\s]+/?$', maxLength: 300 });

/** A collector token the hub issued for one host (the token itself is only ever shown at creation). */
export const CollectorTokenView = T.Object({
  id: T.String(),
  host: HostName,
  createdAt: Iso,
  lastUsedAt: T.Union([Iso, T.Null()]),
  revokedAt: T.Union([Iso, T.Null()]),
  /** A collector is connected with this token now. */
  connected: T.Boolean(),
});
export type CollectorTokenView = Static<typeof CollectorTokenView>;

/** How to install a collector that reports to this hub: where it is, its key pin, and the commands. */
export const InstallInfo = T.Object({
  hubUrl: HubUrl,
  /** Null when the hub serves plain HTTP (development on loopback). */
  fingerprint: T.Union([TlsPin, T.Null()]),
  /** Collector packages this hub offers at /downloads/ (empty: run `pnpm package`). */
  packages: T.Array(T.String()),
});
export type InstallInfo = Static<typeof InstallInfo>;

/** POST /api/collector-tokens: the host the new token may report, and the hub address to put in the command. */
export const CollectorTokenCreate = T.Object({ host: HostName, hubUrl: T.Optional(HubUrl) });
export type CollectorTokenCreate = Static<typeof CollectorTokenCreate>;

/** The created token (shown once), and the one command that installs and starts its collector. */
export const CollectorTokenCreated = T.Composite([
  CollectorTokenView,
  T.Object({
    token: T.String(),
    install: InstallInfo,
    /** `curl … | sudo sh -s -- …`: downloads the collector from this hub, installs and starts it. */
    command: T.String(),
  }),
]);
export type CollectorTokenCreated = Static<typeof CollectorTokenCreated>;
