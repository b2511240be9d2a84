/** Light/dark choice: 'auto' follows prefers-color-scheme; a choice made with the toggle is remembered. */
export type ThemeChoice = 'auto' | 'light' | 'dark';

const KEY = 'ftpscope.theme';

/** The theme toggle's state, applied as `data-theme` on <html>. */
export class Theme {
  choice = $state<ThemeChoice>('auto');

  constructor() {
    const saved = globalThis.localStorage?.getItem(KEY);
    if (saved === 'light' || saved === 'dark') this.choice = saved;
    this.#apply();
  }

  /** auto → dark → light → auto. */
  cycle(): void {
    this.choice = this.choice === 'auto' ? 'dark' : this.choice === 'dark' ? 'light' : 'auto';
    if (this.choice === 'auto') globalThis.localStorage?.removeItem(KEY);
    else globalThis.localStorage?.setItem(KEY, this.choice);
    this.#apply();
  }

  #apply(): void {
    const root = globalThis.document?.documentElement;
    if (!root) return;
    if (this.choice === 'auto') root.removeAttribute('data-theme');
    else root.setAttribute('data-theme', this.choice);
  }
}
