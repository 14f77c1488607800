/**
 * What the Activity section shows: progress events folded into operations (one pull, deploy or
 * call each) and, inside each, one row per package or lambda with its latest stage, and what a
 * call printed while it ran (its last OUTPUT_KEPT characters).
 */

import { IProgressEvent, ProgressKind } from './types';

/** The operations kept, newest first; older ones are dropped. */
export const KEPT_OPERATIONS = 20;
/** Characters of a call's output kept per operation (its end). */
export const OUTPUT_KEPT = 4000;
const OUTPUT_KINDS: ReadonlySet<ProgressKind> = new Set(['stdout', 'stderr']);

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
  /** "pull", "deploy NAME" or "run NAME". */
  title: string;
  state: 'running' | 'done' | 'failed';
  started: number;
  items: IActivityItem[];
  /** Warnings and failures, in order. */
  messages: string[];
  /** What a call printed (stdout and stderr, as they came), its end only. */
  output: string;
}

const FINAL: ReadonlySet<ProgressKind> = new Set(['done', 'failed', 'deployed']);

export function operationTitle(id: string): string {
  const named = /^(deploy|run)-(.+)-\d+$/.exec(id);
  if (named) {
    return `${named[1]} ${named[2]}`;
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
        messages: [],
        output: ''
      };
  if (OUTPUT_KINDS.has(event.kind)) {
    operation.output = (operation.output + event.message).slice(-OUTPUT_KEPT);
  } else if (!operation.title.startsWith('run ')) {
    foldItem(operation, event); // a call has no packages or stages: its output and its end say it all
  }
  if (event.kind === 'failed' || event.kind === 'warning') {
    operation.messages.push(`${event.key}: ${event.message}`);
  }
  operation.state = stateOf(operation, event);
  return [operation, ...operations.filter(other => other.id !== event.operation)].slice(0, KEPT_OPERATIONS);
}

function foldItem(operation: IOperation, event: IProgressEvent): void {
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
}

function stateOf(operation: IOperation, event: IProgressEvent): IOperation['state'] {
  if (event.kind === 'failed' || operation.state === 'failed') {
    return 'failed';
  }
  if (operation.title.startsWith('deploy ')) {
    return event.kind === 'deployed' ? 'done' : 'running';
  }
  if (operation.title.startsWith('run ')) {
    return event.kind === 'done' ? 'done' : 'running';
  }
  const packages = operation.items.filter(item => item.kind !== 'warning');
  return packages.every(item => FINAL.has(item.kind)) ? 'done' : 'running';
}
