import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { ApiClient } from './lib/api-client.ts';
import { AuthState } from './lib/auth.svelte.ts';
import { Clock } from './lib/clock.svelte.ts';
import type { AppServices } from './lib/context.ts';
import { FleetStore } from './lib/fleet-store.svelte.ts';
import { LiveConnection } from './lib/live-connection.svelte.ts';
import { Router } from './lib/router.svelte.ts';
import { Theme } from './lib/theme.svelte.ts';
import { consumeUrlToken } from './lib/url-token.ts';

const auth = new AuthState();
const api = new ApiClient(auth);
const tokenError = await consumeUrlToken(api);
const live = new LiveConnection(() => auth.unauthorized());
const fleet = new FleetStore(api);
const services: AppServices = {
  api,
  auth,
  live,
  fleet,
  router: new Router(),
  clock: new Clock(),
  theme: new Theme(),
};

live.onBatch((batch) => fleet.applyBatch(batch));
live.onReconnect(() => void fleet.load());
live.onWiden(() => void fleet.load());
live.start();
fleet.start();

const target = document.getElementById('app');
if (!target) throw new Error('ftpscope: #app element missing from index.html');
mount(App, { target, props: { services, tokenError } });
