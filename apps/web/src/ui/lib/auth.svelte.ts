/** Whether the hub wants a login, and a generation that bumps on every successful login. */
export class AuthState {
  required = $state(false);
  generation = $state(0);

  /** An API call or the live socket was refused (HTTP 401 / close 4401). */
  unauthorized(): void {
    this.required = true;
  }

  /** The hub accepted a token: views re-mount (keyed by generation) and fetch again. */
  loggedIn(): void {
    this.required = false;
    this.generation++;
  }
}
