/**
 * The REST API's wire format (ol_notebook/server/openapi.yaml), as the sidebar reads it.
 */

export type Network = boolean | 'host';

export interface ILambdaSettings {
  timeout: number;
  memory: number;
  processes: number;
  network: Network;
  env: Record<string, string>;
  instances: number;
  queue: number;
}

export interface IInvocationLog {
  at: number;
  version: number;
  duration: number;
  cold: boolean;
  ok: boolean;
  error: string | null;
  stdout: string;
  stderr: string;
  stdout_cut: number;
  stderr_cut: number;
}

export interface ILambdaSummary {
  name: string;
  version: number;
  created_at: string;
  requirements: string;
  pins: string[];
  settings: ILambdaSettings;
  state: 'cold' | 'warm';
  instances: number;
  serving: string | null;
  last_latency: number | null;
  last_invocation: IInvocationLog | null;
}

export interface IKeptVersion {
  version: number;
  created_at: string;
  requirements: string;
  pins: string[];
}

export interface ILambdaDetail extends ILambdaSummary {
  code: string;
  history: IKeptVersion[];
}

export interface IInvocation {
  result: unknown;
  stdout: string;
  stderr: string;
  duration: number;
  cold: boolean;
  version: string;
}

export interface IPackage {
  key: string;
  name: string;
  version: string;
  filename: string;
  url: string;
  sha256: string;
  index: string;
  import_names: string[];
  size: number;
  installed_at: string;
  used_by: string[];
}

export interface IPackages {
  packages: IPackage[];
  total_size: number;
}

export interface IVerifyReport {
  ok: boolean;
  corrupt: { key: string; problems: string[] }[];
}

export interface IGcReport {
  removed: string[];
  kept: string[];
  freed_bytes: number;
  dry_run: boolean;
}

export interface IServerInfo {
  version: string;
  runtime: string;
  python: string;
  index: string;
  store: string;
  registry: string;
}

export type ProgressKind =
  | 'queued'
  | 'downloading'
  | 'building'
  | 'installing'
  | 'done'
  | 'failed'
  | 'resolving'
  | 'starting'
  | 'deployed'
  | 'warning'
  | 'stdout'
  | 'stderr';

export interface IProgressEvent {
  operation: string;
  kind: ProgressKind;
  key: string;
  bytes_done: number;
  bytes_total: number | null;
  seconds: number;
  message: string;
}

/** The body of every error answer: `{"error": {type, message, details}}`. */
export interface IErrorBody {
  type: string;
  message: string;
  details?: Record<string, unknown>;
}
