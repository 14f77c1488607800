/**
 * What the Activity section shows: progress events folded into operations (one pull or deploy
 * request each) and, inside each, one row per package or lambda with its latest stage.
 */

import { IProgressEvent, ProgressKind } from './types';

/** The operations kept, newest first; older ones are dropped. */
export const KEPT_OPERATIONS = 20;

export interface IActivityItem {
  key: string;
  kind: ProgressKind;
  bytesDone: number;
  bytesTotal: number | null;
  seconds: number;
  message: string;
}

export interface IOperation {
  id: string;
  /** "pull" or "deploy NAME". */
  title: string;
  state: 'running' | 'done' | 'failed';
  started: number;
  items: IActivityItem[];
  /** Warnings and failures, in order. */
  messages: string[];
}

const FINAL: ReadonlySet<ProgressKind> = new Set(['done', 'failed', 'deployed']);

export function operationTitle(id: string): string {
  const deploy = /^deploy-(.+)-\d+$/.exec(id);
  if (deploy) {
    return `deploy ${deploy[1]}`;
  }
  return id.replace(/-\d+$/, '');
}

/** The operations after `event`: a new list, the changed operation first. */
export function foldEvent(operations: readonly IOperation[], event: IProgressEvent, now: number): IOperation[] {
  const previous = operations.find(operation => operation.id === event.operation);
  const operation: IOperation = previous
    ? { ...previous, items: [...previous.items], messages: [...previous.messages] }
    : {
        id: event.operation,
        title: operationTitle(event.operation),
        state: 'running',
        started: now,
        items: [],
        messages: []
      };
  const item: IActivityItem = {
    key: event.key,
    kind: event.kind,
    bytesDone: event.bytes_done,
    bytesTotal: event.bytes_total,
    seconds: event.seconds,
    message: event.message
  };
  const at = operation.items.findIndex(existing => existing.key === event.key);
  if (at < 0) {
    operation.items.push(item);
  } else {
    const before = operation.items[at];
    // `queued` announces the size; later stages keep it when they do not repeat it.
    operation.items[at] = { ...item, bytesTotal: item.bytesTotal ?? before.bytesTotal };
  }
  if (event.kind === 'failed' || event.kind === 'warning') {
    operation.messages.push(`${event.key}: ${event.message}`);
  }
  operation.state = stateOf(operation, event);
  return [operation, ...operations.filter(other => other.id !== event.operation)].slice(0, KEPT_OPERATIONS);
}

function stateOf(operation: IOperation, event: IProgressEvent): IOperation['state'] {
  if (event.kind === 'failed' || operation.state === 'failed') {
    return 'failed';
  }
  if (operation.title.startsWith('deploy ')) {
    return event.kind === 'deployed' ? 'done' : 'running';
  }
  const packages = operation.items.filter(item => item.kind !== 'warning');
  return packages.every(item => FINAL.has(item.kind)) ? 'done' : 'running';
}
