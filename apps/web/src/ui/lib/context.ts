import { getContext, setContext } from 'svelte';
import type { ApiClient } from './api-client.ts';
import type { AuthState } from './auth.svelte.ts';
import type { Clock } from './clock.svelte.ts';
import type { FleetStore } from './fleet-store.svelte.ts';
import type { LiveConnection } from './live-connection.svelte.ts';
import type { Router } from './router.svelte.ts';
import type { Theme } from './theme.svelte.ts';

/** App-wide services, created once in main.ts and handed to components through context. */
export interface AppServices {
  api: ApiClient;
  auth: AuthState;
  live: LiveConnection;
  router: Router;
  clock: Clock;
  fleet: FleetStore;
  theme: Theme;
}

const KEY = Symbol('ftpscope.app');

/** Provide the services to the component tree (App root, or a test harness). */
export function provideApp(services: AppServices): void {
  setContext(KEY, services);
}

/** The services, from any component below the root. */
export function useApp(): AppServices {
  const s = getContext<AppServices | undefined>(KEY);
  if (!s) throw new Error('ftpscope: app services missing (provideApp not called)');
  return s;
}

/** The context map to pass to `mount(..., { context })` (tests mount views without App). */
export function appContext(services: AppServices): Map<unknown, unknown> {
  return new Map([[KEY, services]]);
}
