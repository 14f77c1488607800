/**
 * The ol-notebook REST API under `{base_url}ol/`, called the way JupyterLab calls its own
 * server: `ServerConnection.makeRequest` with the app's server settings (token header or
 * XSRF cookie), so it works under any base_url and behind JupyterHub.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IErrorBody,
  IGcReport,
  IInvocation,
  IInvocationLog,
  ILambdaDetail,
  ILambdaSummary,
  IPackages,
  IServerInfo,
  IVerifyReport
} from './types';

/** What went wrong with a request, in words a user can act on. */
export class OLRequestError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or 0 when the server could not be reached. */
    readonly status: number,
    /** The engine's error type (e.g. LambdaError), or a name for the failure of the request itself. */
    readonly type: string,
    readonly details: Record<string, unknown> = {}
  ) {
    super(message);
  }

  /** The server answered, but not with the ol-notebook API (no extension there). */
  get noExtension(): boolean {
    return this.status === 404 && this.type === 'NotFound';
  }

  /** The server refused the request (authentication or authorization). */
  get refused(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

export class OLClient {
  constructor(readonly serverSettings: ServerConnection.ISettings) {}

  /** The URL of `path` below `{base_url}ol/`. */
  url(path: string): string {
    return URLExt.join(this.serverSettings.baseUrl, 'ol', path);
  }

  /** A request to `path`; its Response when the status is 2xx, else an OLRequestError. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(this.url(path), init, this.serverSettings);
    } catch (error) {
      if (init.signal?.aborted) {
        throw error;
      }
      throw new OLRequestError(
        `the Jupyter server could not be reached (${String(error)})`,
        0,
        'NetworkError'
      );
    }
    if (!response.ok) {
      throw await errorOf(response);
    }
    return response;
  }

  async json<T>(path: string, method = 'GET', body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
    }
    const response = await this.fetch(path, init);
    return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
  }

  version(): Promise<IServerInfo> {
    return this.json('version');
  }

  async lambdas(): Promise<ILambdaSummary[]> {
    return (await this.json<{ lambdas: ILambdaSummary[] }>('lambdas')).lambdas;
  }

  describe(name: string): Promise<ILambdaDetail> {
    return this.json(`lambdas/${encodeURIComponent(name)}`);
  }

  async logs(name: string, limit: number): Promise<IInvocationLog[]> {
    const path = `lambdas/${encodeURIComponent(name)}/logs?limit=${limit}`;
    return (await this.json<{ logs: IInvocationLog[] }>(path)).logs;
  }

  /** Invoke with `event`, the JSON text of the event exactly as the user wrote it. */
  async invoke(name: string, event: string): Promise<IInvocation> {
    const response = await this.fetch(`run/${encodeURIComponent(name)}?details=1`, {
      method: 'POST',
      body: event
    });
    return (await response.json()) as IInvocation;
  }

  rollback(name: string, version: number): Promise<ILambdaDetail> {
    return this.json(`lambdas/${encodeURIComponent(name)}/rollback`, 'POST', { version });
  }

  remove(name: string): Promise<void> {
    return this.json(`lambdas/${encodeURIComponent(name)}`, 'DELETE');
  }

  packages(): Promise<IPackages> {
    return this.json('packages');
  }

  verify(): Promise<IVerifyReport> {
    return this.json('verify', 'POST', {});
  }

  gc(remove: boolean): Promise<IGcReport> {
    return this.json('gc', 'POST', { delete: remove });
  }
}

/** The error an answer stands for: the engine's own when the body is ol-notebook's error JSON. */
async function errorOf(response: Response): Promise<OLRequestError> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: IErrorBody } | undefined)?.error;
  if (error && typeof error.type === 'string') {
    return new OLRequestError(error.message, response.status, error.type, error.details ?? {});
  }
  if (response.status === 404) {
    return new OLRequestError(
      'this Jupyter server has no ol-notebook extension (its API answered 404 Not Found)',
      404,
      'NotFound'
    );
  }
  if (response.status === 401 || response.status === 403) {
    return new OLRequestError(
      `the Jupyter server refused the request (HTTP ${response.status} ${response.statusText})`,
      response.status,
      'Refused'
    );
  }
  const message = (body as { message?: string } | undefined)?.message ?? response.statusText;
  return new OLRequestError(`HTTP ${response.status}: ${message}`, response.status, 'HTTPError');
}
