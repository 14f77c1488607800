/** Live progress of every pull, deploy and call on this server, from its event stream. */

import * as React from 'react';

import { IActivityItem, IOperation } from '../activity';
import { formatBytes, formatSeconds } from '../format';
import { useModel } from './context';

export function ActivityView(): JSX.Element {
  const model = useModel();
  if (model.operations.length === 0) {
    return (
      <p className="ol-empty">
        {model.stream.state === 'live'
          ? 'Nothing yet: every pull and deploy on this server shows here as it happens, from any notebook, terminal or API client.'
          : 'Live progress is off while the event stream is not connected.'}
      </p>
    );
  }
  return (
    <ol className="ol-Activity" aria-label="Activity">
      {model.operations.map(operation => (
        <OperationView key={operation.id} operation={operation} />
      ))}
    </ol>
  );
}

function OperationView(props: { operation: IOperation }): JSX.Element {
  const { operation } = props;
  return (
    <li className={`ol-Operation ol-Operation-${operation.state}`} data-operation={operation.id}>
      <div className="ol-Operation-header">
        <span className="ol-Operation-title">{operation.title}</span>
        <span className={`ol-chip ol-Operation-state`}>{operation.state}</span>
        <span className="ol-hint">{new Date(operation.started).toLocaleTimeString()}</span>
      </div>
      <ul className="ol-Operation-items">
        {operation.items.map(item => (
          <ItemView key={item.key} item={item} />
        ))}
      </ul>
      {operation.output && <pre className="ol-Operation-output">{operation.output}</pre>}
      {operation.messages.map((message, index) => (
        <p key={index} className="ol-Operation-message" role={operation.state === 'failed' ? 'alert' : undefined}>
          {message}
        </p>
      ))}
    </li>
  );
}

function ItemView(props: { item: IActivityItem }): JSX.Element {
  const { item } = props;
  const total = item.bytesTotal;
  const fraction = item.kind === 'done' ? 1 : total ? Math.min(item.bytesDone / total, 1) : 0;
  const bytes =
    item.kind === 'done'
      ? `${formatBytes(item.bytesDone)} installed`
      : total
        ? `${formatBytes(item.bytesDone)} / ${formatBytes(total)}`
        : '';
  return (
    <li className={`ol-Item ol-Item-${item.kind}`} data-key={item.key} data-kind={item.kind}>
      <span className="ol-Item-key">{item.key}</span>
      <span className="ol-Item-kind">{item.kind}</span>
      <progress className="ol-Item-progress" max={1} value={fraction} aria-label={`${item.key} ${item.kind}`} />
      <span className="ol-hint">
        {bytes}
        {item.seconds ? ` · ${formatSeconds(item.seconds)}` : ''}
      </span>
    </li>
  );
}
