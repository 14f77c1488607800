/** The panel: a header with the stream's state, the API's availability, and three tabs. */

import { refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { StreamState } from '../events';
import { Tab } from '../model';
import { ActivityView } from './ActivityView';
import { useModel } from './context';
import { LambdaDetail } from './LambdaDetail';
import { LambdaList } from './LambdaList';
import { PackagesTable } from './PackagesTable';

const TABS: { tab: Tab; label: string }[] = [
  { tab: 'lambdas', label: 'Lambdas' },
  { tab: 'packages', label: 'Packages' },
  { tab: 'activity', label: 'Activity' }
];

const STREAM_WORDS: Record<StreamState, string> = {
  off: 'not following',
  connecting: 'connecting…',
  live: 'live',
  retrying: 'reconnecting…',
  failed: 'no live events'
};

export function Sidebar(): JSX.Element {
  const model = useModel();
  const { availability } = model;
  return (
    <div className="ol-Sidebar-body">
      <div className="ol-Sidebar-header">
        <h2 className="ol-Sidebar-title">ol-notebook</h2>
        <span
          className={`ol-stream ol-stream-${model.stream.state}`}
          data-state={model.stream.state}
          title={model.stream.problem || 'progress events from this server'}
        >
          ● {STREAM_WORDS[model.stream.state]}
        </span>
        <button className="ol-icon-button" title="Refresh" aria-label="Refresh" onClick={() => void model.refresh()}>
          <refreshIcon.react tag="span" />
        </button>
      </div>
      {availability.state !== 'ok' && availability.state !== 'unknown' && availability.state !== 'broken' ? (
        <div className={`ol-unavailable ol-unavailable-${availability.state}`} role="alert">
          <p>{availability.message}</p>
          <button className="jp-Button jp-mod-styled jp-mod-reject" onClick={() => void model.refresh()}>
            Try again
          </button>
        </div>
      ) : (
        <>
          <div className="ol-tabs" role="tablist">
            {TABS.map(({ tab, label }) => (
              <button
                key={tab}
                role="tab"
                aria-selected={model.tab === tab}
                className={`ol-tab ${model.tab === tab ? 'ol-mod-selected' : ''}`}
                onClick={() => (model.tab = tab)}
              >
                {label}
              </button>
            ))}
          </div>
          {model.problem && (
            <p className="ol-problem" role="alert">
              {model.problem}
            </p>
          )}
          <div className="ol-tab-panel" role="tabpanel" aria-label={model.tab}>
            {model.tab === 'lambdas' &&
              (model.selected === null ? <LambdaList /> : <LambdaDetail key={model.selected} name={model.selected} />)}
            {model.tab === 'packages' && <PackagesTable />}
            {model.tab === 'activity' && <ActivityView />}
          </div>
        </>
      )}
    </div>
  );
}
