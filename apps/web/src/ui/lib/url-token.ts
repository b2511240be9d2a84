import type { ApiClient } from './api-client.ts';

/**
 * The demo prints a link with `?token=...`: log in with it once, then strip it from the address bar
 * (and history) so it is not bookmarked or shared. Returns the login error, if any, to show.
 */
export async function consumeUrlToken(api: ApiClient, win: Window = window): Promise<string | null> {
  const url = new URL(win.location.href);
  const token = url.searchParams.get('token');
  if (token === null) return null;
  url.searchParams.delete('token');
  win.history.replaceState(win.history.state, '', url.pathname + url.search + url.hash);
  try {
    await api.login(token);
    return null;
  } catch (err) {
    return `The token in the link was not accepted: ${(err as Error).message}`;
  }
}
