/** Every deployed lambda: version, state, pins, last latency and last outcome. */

import * as React from 'react';

import { formatSeconds, formatTime } from '../format';
import { IInvocationLog, ILambdaSummary } from '../types';
import { useModel } from './context';
import { KeyList } from './KeyList';

export function LambdaList(): JSX.Element {
  const model = useModel();
  if (model.lambdas.length === 0) {
    return (
      <p className="ol-empty">
        No lambda is deployed yet. In a notebook, <code>%load_ext ol_notebook</code> then a cell that starts with{' '}
        <code>%%ol_lambda NAME</code> and defines <code>f(event)</code> deploys one; it appears here.
      </p>
    );
  }
  const count = model.lambdas.length;
  return (
    <>
      <div className="ol-LambdaList-total">
        {count} lambda{count === 1 ? '' : 's'}
      </div>
      <ul className="ol-LambdaList" aria-label="Lambdas">
        {model.lambdas.map(item => (
          <LambdaRow key={item.name} item={item} onSelect={() => model.select(item.name)} />
        ))}
      </ul>
    </>
  );
}

function LambdaRow(props: { item: ILambdaSummary; onSelect: () => void }): JSX.Element {
  const { item } = props;
  return (
    <li className="ol-LambdaRow" data-name={item.name}>
      <button className="ol-LambdaRow-main" onClick={props.onSelect} title={`Show ${item.name}`}>
        <span className="ol-LambdaRow-name">{item.name}</span>
        <span className="ol-chip" title="the current version">
          v{item.version}
        </span>
        <StateChip state={item.state} instances={item.instances} />
        <span className="ol-LambdaRow-latency" title="the last call's duration">
          {formatSeconds(item.last_latency ?? item.last_invocation?.duration)}
        </span>
      </button>
      <div className="ol-LambdaRow-meta">
        <Outcome last={item.last_invocation} />
        <Pins pins={item.pins} />
      </div>
    </li>
  );
}

export function StateChip(props: { state: 'cold' | 'warm'; instances: number }): JSX.Element {
  const text = props.state === 'cold' ? 'cold' : props.instances > 0 ? `warm ×${props.instances}` : 'warm';
  return (
    <span
      className={`ol-chip ol-state ol-state-${props.state}`}
      title={props.state === 'warm' ? `its sandbox is up, ${props.instances} worker(s) running` : 'no sandbox running'}
    >
      {text}
    </span>
  );
}

export function Outcome(props: { last: IInvocationLog | null }): JSX.Element {
  const { last } = props;
  if (last === null) {
    return <span className="ol-outcome ol-outcome-none">never invoked</span>;
  }
  const when = formatTime(last.at);
  if (last.ok) {
    return (
      <span className="ol-outcome ol-outcome-ok" title={`v${last.version} at ${when}`}>
        ✓ ok
      </span>
    );
  }
  const kind = (last.error ?? 'error').split(':')[0];
  return (
    <span className="ol-outcome ol-outcome-error" title={`${last.error ?? ''}\n(v${last.version} at ${when})`}>
      ✗ {kind}
    </span>
  );
}

function Pins(props: { pins: string[] }): JSX.Element {
  if (props.pins.length === 0) {
    return <span className="ol-pins ol-pins-none">no packages</span>;
  }
  return (
    <details className="ol-pins">
      <summary>
        {props.pins.length} pin{props.pins.length === 1 ? '' : 's'}
      </summary>
      <KeyList keys={props.pins} />
    </details>
  );
}
