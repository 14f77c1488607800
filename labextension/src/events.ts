/**
 * The server's progress events (`GET {base_url}ol/events`), read while someone is looking.
 *
 * The stream is a plain request through `ServerConnection.makeRequest` whose body is read as
 * it arrives, not an EventSource: an EventSource reconnects by itself every few seconds and
 * authenticates by cookie only, which JupyterHub refuses. When the stream breaks, it is opened
 * again after a back-off that doubles up to a minute; `stop` ends it and any wait.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { OLClient, OLRequestError } from './client';
import { parseSSE } from './sse';
import { IProgressEvent } from './types';

export type StreamState = 'off' | 'connecting' | 'live' | 'retrying' | 'failed';

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 60000;

export class EventStream {
  constructor(private readonly client: OLClient) {}

  /** Every progress event, as it arrives. */
  get received(): ISignal<this, IProgressEvent> {
    return this._received;
  }

  /** The stream's state changed; the stream (re)connected when it says 'live'. */
  get stateChanged(): ISignal<this, StreamState> {
    return this._stateChanged;
  }

  get state(): StreamState {
    return this._state;
  }

  /** Why the last attempt failed, in words ('' when it did not). */
  get problem(): string {
    return this._problem;
  }

  start(): void {
    if (this._abort) {
      return;
    }
    const abort = (this._abort = new AbortController());
    void this._run(abort.signal);
  }

  stop(): void {
    this._abort?.abort();
    this._abort = null;
    this._setState('off');
  }

  private async _run(signal: AbortSignal): Promise<void> {
    let wait = FIRST_RETRY_MS;
    while (!signal.aborted) {
      this._setState('connecting');
      try {
        await this._read(signal, () => {
          wait = FIRST_RETRY_MS;
        });
        this._problem = 'the server ended the event stream';
      } catch (error) {
        if (signal.aborted) {
          return;
        }
        this._problem = error instanceof Error ? error.message : String(error);
        if (error instanceof OLRequestError && (error.noExtension || error.refused)) {
          this._abort = null; // retrying would be refused the same way; a later start() may try again
          this._setState('failed');
          return;
        }
      }
      if (signal.aborted) {
        return;
      }
      this._setState('retrying');
      await sleep(wait, signal);
      wait = Math.min(wait * 2, LAST_RETRY_MS);
    }
  }

  private async _read(signal: AbortSignal, connected: () => void): Promise<void> {
    const response = await this.client.fetch('events', {
      signal,
      headers: { Accept: 'text/event-stream' }
    });
    if (!response.body) {
      throw new Error('this browser cannot read a response as it arrives');
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let pending = '';
    this._problem = '';
    connected();
    this._setState('live');
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          return;
        }
        const { data, rest } = parseSSE(pending + decoder.decode(value, { stream: true }));
        pending = rest;
        for (const item of data) {
          this._received.emit(JSON.parse(item) as IProgressEvent);
        }
      }
    } finally {
      reader.releaseLock();
    }
  }

  private _setState(state: StreamState): void {
    if (state !== this._state) {
      this._state = state;
      this._stateChanged.emit(state);
    }
  }

  private _abort: AbortController | null = null;
  private _state: StreamState = 'off';
  private _problem = '';
  private _received = new Signal<this, IProgressEvent>(this);
  private _stateChanged = new Signal<this, StreamState>(this);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
