import type {
  CollectorTokenCreated,
  CollectorTokenView,
  DiagnosisView,
  DropView,
  GapView,
  HostHealthView,
  HostSummary,
  InstallInfo,
  InvestigateListPage,
  InvestigateView,
  RulesetChangeView,
  RuleView,
  SeriesPoint,
  SessionStory,
  SessionView,
  TraceView,
} from '@ftpscope/shared';
import type { AuthState } from './auth.svelte.ts';

/** An API failure with what the hub said, so views can show it instead of swallowing it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Who and when to investigate (times ISO; tz: the browser's IANA zone, for the summary's times). */
export type InvestigateAsk = {
  client?: string;
  user?: string;
  host?: string;
  from: string;
  to: string;
  tz?: string;
};

type Query = Record<string, string | number | boolean | undefined | null>;
type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/** Typed client of the hub's REST API (same origin, cookie auth). */
export class ApiClient {
  #auth: AuthState;
  #fetch: FetchFn;

  constructor(auth: AuthState, fetchFn: FetchFn = (i, init) => globalThis.fetch(i, init)) {
    this.#auth = auth;
    this.#fetch = fetchFn;
  }

  /** GET a JSON resource; throws ApiError on any non-2xx (401 also asks for a login). */
  async get<T>(path: string, query: Query = {}): Promise<T> {
    return (await (await this.#request(path, query)).json()) as T;
  }

  async #request(path: string, query: Query): Promise<Response> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
    }
    const url = qs.size ? `${path}?${qs}` : path;
    let res: Response;
    try {
      res = await this.#fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    } catch (err) {
      throw new ApiError(0, 'NETWORK', `cannot reach the hub (${(err as Error).message})`);
    }
    if (!res.ok) throw await this.#error(res);
    return res;
  }

  /** POST or DELETE with a JSON body; throws ApiError on any non-2xx. */
  async send<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.#fetch(path, {
        method,
        credentials: 'same-origin',
        headers: {
          accept: 'application/json',
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new ApiError(0, 'NETWORK', `cannot reach the hub (${(err as Error).message})`);
    }
    if (!res.ok) throw await this.#error(res);
    return (await res.json()) as T;
  }

  /** POST the API token; the hub answers with an HttpOnly session cookie. */
  async login(token: string): Promise<void> {
    const res = await this.#fetch('/api/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    });
    if (!res.ok) {
      const err = await this.#error(res, false);
      throw err.status === 401 ? new ApiError(401, err.code, 'the hub did not accept this token') : err;
    }
    this.#auth.loggedIn();
  }

  async #error(res: Response, flagAuth = true): Promise<ApiError> {
    if (res.status === 401 && flagAuth) this.#auth.unauthorized();
    let code = `HTTP_${res.status}`;
    let message = res.statusText || `HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { code?: string; message?: string };
      if (body.code) code = body.code;
      if (body.message) message = body.message;
    } catch {
      // not JSON (a proxy error page): the status line is all we have
    }
    return new ApiError(res.status, code, `${message} (${res.url || 'request'} → ${res.status})`);
  }

  hosts = () => this.get<HostSummary[]>('/api/hosts');
  hostHealth = (host: string) => this.get<HostHealthView>(`/api/hosts/${encodeURIComponent(host)}/health`);
  sessions = (
    host: string,
    q: { active?: boolean; client?: string; from?: string; to?: string; limit?: number },
  ) => this.get<SessionView[]>(`/api/hosts/${encodeURIComponent(host)}/sessions`, q);
  session = (id: string) => this.get<SessionView>(`/api/sessions/${encodeURIComponent(id)}`);
  rules = (host: string) => this.get<RuleView[]>(`/api/hosts/${encodeURIComponent(host)}/rules`);
  series = (host: string, ruleId: string, q: { from?: string; to?: string; step?: number }) =>
    this.get<SeriesPoint[]>(
      `/api/hosts/${encodeURIComponent(host)}/rules/${encodeURIComponent(ruleId)}/series`,
      q,
    );
  rulesetChanges = (host: string, q: { from?: string; to?: string }) =>
    this.get<RulesetChangeView[]>(`/api/hosts/${encodeURIComponent(host)}/ruleset-changes`, q);
  drops = (q: { host?: string; client?: string; from?: string; to?: string; limit?: number }) =>
    this.get<DropView[]>('/api/drops', q);
  gaps = (q: { host?: string; from?: string; to?: string; limit?: number }) =>
    this.get<GapView[]>('/api/gaps', q);
  /** The answer for a client, user or host around a time: summary, chart and the first page of the grouped list. */
  investigate = (q: InvestigateAsk) => this.get<InvestigateView>('/api/investigate', q);
  /** One page of the grouped list, for the window or the part of it brushed on the chart. */
  investigateList = (q: InvestigateAsk & { offset?: number; limit?: number }) =>
    this.get<InvestigateListPage>('/api/investigate/list', q);
  /** The dialogue, data channels with their rules named, and the ruleset in force of one session. */
  sessionStory = (id: string) => this.get<SessionStory>(`/api/sessions/${encodeURIComponent(id)}/story`);
  diagnoses = (q: { host?: string; active?: boolean }) => this.get<DiagnosisView[]>('/api/diagnoses', q);
  installInfo = () => this.get<InstallInfo>('/api/install-info');
  collectorTokens = () => this.get<CollectorTokenView[]>('/api/collector-tokens');
  createCollectorToken = (host: string, hubUrl: string) =>
    this.send<CollectorTokenCreated>('POST', '/api/collector-tokens', { host, hubUrl });
  revokeCollectorToken = (id: string) =>
    this.send<CollectorTokenView>('DELETE', `/api/collector-tokens/${encodeURIComponent(id)}`);
  startTrace = (host: string, client: string, durationSeconds?: number) =>
    this.send<TraceView>('POST', `/api/hosts/${encodeURIComponent(host)}/traces`, {
      client,
      durationSeconds,
    });
  stopTrace = (id: string) => this.send<TraceView>('POST', `/api/traces/${encodeURIComponent(id)}/stop`, {});
  trace = (id: string) => this.get<TraceView>(`/api/traces/${encodeURIComponent(id)}`);
  traces = (q: { host?: string; limit?: number }) => this.get<TraceView[]>('/api/traces', q);
  /** Where the browser downloads a trace's pcap (the login cookie authorises it). */
  tracePcapUrl = (id: string) => `/api/traces/${encodeURIComponent(id)}/pcap`;
}
