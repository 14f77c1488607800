/**
 * The sidebar's state and everything it asks the server, apart from how it is drawn.
 *
 * Nothing is fetched while the panel is hidden: showing it refreshes everything and opens the
 * event stream, hiding it closes the stream. Events refresh what they change (a deploy the
 * lambdas, a finished install the packages), coalesced, so there is no polling.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { foldEvent, IOperation } from './activity';
import { OLClient, OLRequestError } from './client';
import { EventStream, StreamState } from './events';
import { IInvocation, IInvocationLog, ILambdaDetail, ILambdaSummary, IPackages, IProgressEvent, IServerInfo } from './types';

export type Tab = 'lambdas' | 'packages' | 'activity';

/** Whether the server serves the ol-notebook API, and if not, why not (in words). */
export interface IAvailability {
  state: 'unknown' | 'ok' | 'missing' | 'refused' | 'unreachable' | 'broken';
  message: string;
}

export type InvokeOutcome = { ok: true; invocation: IInvocation } | { ok: false; error: OLRequestError };

export interface IModelOptions {
  client: OLClient;
  /** Follow the server's progress events while visible. */
  liveEvents: boolean;
  /** How many recent invocations a lambda's details show. */
  recentInvocations: number;
}

const REFRESH_DELAY_MS = 250;

export class SidebarModel {
  constructor(options: IModelOptions) {
    this.client = options.client;
    this._liveEvents = options.liveEvents;
    this._recentInvocations = options.recentInvocations;
    this.stream = new EventStream(this.client);
    this.stream.received.connect((_, event) => this._onEvent(event));
    this.stream.stateChanged.connect((_, state) => this._onStreamState(state));
  }

  readonly client: OLClient;
  readonly stream: EventStream;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** A lambda was chosen to be invoked (by a command): the invoke box takes the focus. */
  get invokeRequested(): ISignal<this, string> {
    return this._invokeRequested;
  }

  get visible(): boolean {
    return this._visible;
  }
  get availability(): IAvailability {
    return this._availability;
  }
  get info(): IServerInfo | null {
    return this._info;
  }
  get lambdas(): readonly ILambdaSummary[] {
    return this._lambdas;
  }
  get packages(): IPackages | null {
    return this._packages;
  }
  get operations(): readonly IOperation[] {
    return this._operations;
  }
  get selected(): string | null {
    return this._selected;
  }
  get detail(): ILambdaDetail | null {
    return this._detail;
  }
  get logs(): readonly IInvocationLog[] {
    return this._logs;
  }
  get tab(): Tab {
    return this._tab;
  }
  /** The last failed request's message, shown until the next success ('' when none). */
  get problem(): string {
    return this._problem;
  }

  set tab(tab: Tab) {
    this._tab = tab;
    this._emit();
  }

  configure(liveEvents: boolean, recentInvocations: number): void {
    this._liveEvents = liveEvents;
    this._recentInvocations = recentInvocations;
    this._followEvents();
  }

  /** The panel was shown or hidden. */
  setVisible(visible: boolean): void {
    if (visible === this._visible) {
      return;
    }
    this._visible = visible;
    this._followEvents();
    if (visible) {
      void this.refresh();
    }
  }

  /** Everything again: is the API there, the lambdas, the packages, the selected lambda. */
  async refresh(): Promise<void> {
    if (!this._visible) {
      return;
    }
    try {
      this._info = await this.client.version();
      this._availability = { state: 'ok', message: '' };
    } catch (error) {
      this._availability = availabilityOf(error);
      this._followEvents();
      this._emit();
      return;
    }
    this._followEvents();
    await Promise.all([this.refreshLambdas(), this.refreshPackages(), this.refreshDetail()]);
  }

  async refreshLambdas(): Promise<void> {
    await this._ask(async () => {
      this._lambdas = await this.client.lambdas();
    });
  }

  async refreshPackages(): Promise<void> {
    await this._ask(async () => {
      this._packages = await this.client.packages();
    });
  }

  async refreshDetail(): Promise<void> {
    const name = this._selected;
    if (name === null) {
      return;
    }
    await this._ask(async () => {
      try {
        const [detail, logs] = await Promise.all([
          this.client.describe(name),
          this.client.logs(name, this._recentInvocations)
        ]);
        if (this._selected === name) {
          this._detail = detail;
          this._logs = logs.slice().reverse(); // newest first
        }
      } catch (error) {
        if (error instanceof OLRequestError && error.type === 'RegistryError' && this._selected === name) {
          this._select(null); // removed elsewhere
          await this.refreshLambdas();
          return;
        }
        throw error;
      }
    });
  }

  select(name: string | null): void {
    this._select(name);
    this._tab = 'lambdas';
    this._emit();
    void this.refreshDetail();
  }

  /** Select `name` and ask its invoke box for the focus (now, or once it is drawn). */
  requestInvoke(name: string): void {
    this._invokeFocus = name;
    this.select(name);
    this._invokeRequested.emit(name);
  }

  /** Whether `name`'s invoke box should take the focus; answers yes once per request. */
  claimInvokeFocus(name: string): boolean {
    const claimed = this._invokeFocus === name;
    if (claimed) {
      this._invokeFocus = null;
    }
    return claimed;
  }

  /** Invoke `name` with the JSON text `event` (already checked to be JSON). */
  async invoke(name: string, event: string): Promise<InvokeOutcome> {
    let outcome: InvokeOutcome;
    try {
      outcome = { ok: true, invocation: await this.client.invoke(name, event) };
    } catch (error) {
      if (!(error instanceof OLRequestError)) {
        throw error;
      }
      outcome = { ok: false, error };
    }
    await Promise.all([this.refreshLambdas(), this.refreshDetail()]);
    return outcome;
  }

  async rollback(name: string, version: number): Promise<void> {
    await this._ask(async () => {
      await this.client.rollback(name, version);
    });
    await Promise.all([this.refreshLambdas(), this.refreshDetail()]);
  }

  async remove(name: string): Promise<void> {
    await this._ask(async () => {
      await this.client.remove(name);
      if (this._selected === name) {
        this._select(null);
      }
    });
    await Promise.all([this.refreshLambdas(), this.refreshPackages()]);
  }

  dispose(): void {
    this.stream.stop();
    clearTimeout(this._timer);
    Signal.clearData(this);
  }

  private _select(name: string | null): void {
    if (name !== this._selected) {
      this._selected = name;
      this._detail = null;
      this._logs = [];
    }
  }

  /** Run a request; a failure becomes `problem` (or the availability, when the API is gone). */
  private async _ask(request: () => Promise<void>): Promise<void> {
    try {
      await request();
      this._problem = '';
      if (this._availability.state === 'unreachable') {
        this._availability = { state: 'ok', message: '' };
        this._followEvents();
      }
    } catch (error) {
      const availability = availabilityOf(error);
      if (availability.state !== 'broken') {
        this._availability = availability;
        this._followEvents();
      }
      this._problem = availability.message;
    }
    this._emit();
  }

  private _followEvents(): void {
    if (this._visible && this._liveEvents && this._availability.state !== 'missing' && this._availability.state !== 'refused') {
      this.stream.start();
    } else {
      this.stream.stop();
    }
  }

  private _onStreamState(state: StreamState): void {
    if (state === 'retrying') {
      this._reconnecting = true;
    } else if (state === 'off') {
      this._reconnecting = false; // hidden: showing the panel refreshes it anyway
    } else if (state === 'live' && this._reconnecting) {
      this._reconnecting = false;
      this._schedule('all'); // events may have been missed while the stream was down
    }
    this._emit();
  }

  private _onEvent(event: IProgressEvent): void {
    this._operations = foldEvent(this._operations, event, Date.now());
    if (event.kind === 'deployed') {
      this._schedule('lambdas');
      this._schedule('packages');
      if (event.key === this._selected) {
        this._schedule('detail');
      }
    } else if (event.kind === 'done' && !event.operation.startsWith('run-')) {
      this._schedule('packages'); // a package was pulled (a call's end says nothing of packages)
    }
    this._emit();
  }

  /** Refresh `what` soon, once for a burst of events. */
  private _schedule(what: 'all' | 'lambdas' | 'packages' | 'detail'): void {
    this._due.add(what);
    clearTimeout(this._timer);
    this._timer = window.setTimeout(() => {
      const due = this._due;
      this._due = new Set();
      if (due.has('all')) {
        void this.refresh();
        return;
      }
      const requests: Promise<void>[] = [];
      if (due.has('lambdas')) {
        requests.push(this.refreshLambdas());
      }
      if (due.has('packages')) {
        requests.push(this.refreshPackages());
      }
      if (due.has('detail')) {
        requests.push(this.refreshDetail());
      }
      void Promise.all(requests);
    }, REFRESH_DELAY_MS);
  }

  private _emit(): void {
    this._changed.emit();
  }

  private _liveEvents: boolean;
  private _recentInvocations: number;
  private _visible = false;
  private _availability: IAvailability = { state: 'unknown', message: '' };
  private _info: IServerInfo | null = null;
  private _lambdas: ILambdaSummary[] = [];
  private _packages: IPackages | null = null;
  private _operations: IOperation[] = [];
  private _selected: string | null = null;
  private _detail: ILambdaDetail | null = null;
  private _logs: IInvocationLog[] = [];
  private _tab: Tab = 'lambdas';
  private _problem = '';
  private _reconnecting = false;
  private _invokeFocus: string | null = null;
  private _due = new Set<'all' | 'lambdas' | 'packages' | 'detail'>();
  private _timer = 0;
  private _changed = new Signal<this, void>(this);
  private _invokeRequested = new Signal<this, string>(this);
}

/** What a failed request says about the server, in words. */
export function availabilityOf(error: unknown): IAvailability {
  if (error instanceof OLRequestError) {
    if (error.noExtension) {
      return {
        state: 'missing',
        message:
          'This Jupyter server has no ol-notebook extension: install ol-notebook in the environment that runs ' +
          '`jupyter lab` (it enables itself) and restart the server.'
      };
    }
    if (error.refused) {
      return {
        state: 'refused',
        message: `The Jupyter server refused the ol-notebook API: ${error.message}. Log in again, or ask whoever runs the server for access to the resource "ol".`
      };
    }
    if (error.status === 0) {
      return { state: 'unreachable', message: `The Jupyter server cannot be reached: ${error.message}.` };
    }
    return { state: 'broken', message: `${error.type}: ${error.message}` };
  }
  return { state: 'broken', message: String(error) };
}
