import { href, parseHash, type Route } from './routes.ts';

/** The current route, following `location.hash` (hash routing needs no server fallback). */
export class Router {
  route = $state<Route>(parseHash(''));
  #win: Window;

  constructor(win: Window = window) {
    this.#win = win;
    this.route = parseHash(win.location.hash);
    win.addEventListener('hashchange', () => {
      this.route = parseHash(win.location.hash);
    });
  }

  /** Merge `patch` into the current query without adding a history entry (filters typed into inputs). */
  replaceQuery(patch: Record<string, string | undefined>): void {
    const path = this.#win.location.hash.replace(/^#/, '').split('?')[0] || '/';
    const next = href(path, { ...this.route.query, ...patch });
    this.#win.history.replaceState(this.#win.history.state, '', next);
    this.route = parseHash(next);
  }

  /** Go to a `#/...` link, adding a history entry. */
  navigate(link: string): void {
    this.#win.location.hash = link.replace(/^#/, '');
  }
}
