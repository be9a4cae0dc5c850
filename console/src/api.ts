// Calls to the admin API with the console's session: the cookie goes by itself (same origin), the CSRF token with
// every change. A call whose session has ended sends the person to the login page, back here afterwards.

export interface ApiError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
}

export class ApiFailure extends Error {
  constructor(readonly error: ApiError) {
    super(`${error.code}: ${error.detail ?? error.message}`);
  }
}

export interface Session {
  readonly actor: string;
  readonly kind: 'admin-token' | 'person';
  readonly csrf: string;
  readonly expiresAt: string;
  readonly endsAt: string;
}

let csrf = '';

export function useSession(session: Session): void {
  csrf = session.csrf;
}

/** The login page, coming back to this page afterwards. */
export function toLogin(): void {
  const page = location.pathname.replace(/^\/console\/?/, '');
  location.assign(page === '' ? '/console/login' : `/console/login?next=${encodeURIComponent(page + location.search)}`);
}

export async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 204) return {} as T;
  const json = (await response.json().catch(() => ({}))) as { error?: ApiError } & T;
  if (!response.ok) {
    const error = { status: response.status, code: json.error?.code ?? 'HTTP', message: json.error?.message ?? response.statusText, ...(json.error?.detail ? { detail: json.error.detail } : {}) };
    if (response.status === 401 && path !== '/console/api/session') toLogin();
    throw new ApiFailure(error);
  }
  return json;
}

/** A query string from the given values, empty ones left out. */
export function query(values: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== '') params.set(k, String(v));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** What went wrong, for a person: the API's code and its explanation. */
export function describe(err: unknown): string {
  if (err instanceof ApiFailure) {
    const e = err.error;
    if (e.status === 403 && e.code === 'PG_ADMIN_FORBIDDEN' && /missing permission/.test(e.detail ?? '')) return `You may not see this: ${e.detail}.`;
    return `${e.code}: ${e.detail ?? e.message}`;
  }
  return err instanceof Error ? err.message : String(err);
}
