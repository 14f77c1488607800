/**
 * One lambda: its invoke box, its code (read-only, highlighted by JupyterLab's editor), its
 * settings, its kept versions with rollback, its recent invocations; and Remove.
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { firstLines, formatBytes, formatSeconds, formatTime } from '../format';
import { IInvocationLog, ILambdaDetail, ILambdaSettings } from '../types';
import { CodeView } from './CodeView';
import { useModel } from './context';
import { InvokeBox } from './InvokeBox';
import { Outcome, StateChip } from './LambdaList';

export function LambdaDetail(props: { name: string }): JSX.Element {
  const model = useModel();
  const detail = model.detail;
  return (
    <div className="ol-LambdaDetail" data-name={props.name}>
      <div className="ol-LambdaDetail-header">
        <button className="ol-link" onClick={() => model.select(null)} title="Back to every lambda">
          ← All lambdas
        </button>
        <h3 className="ol-LambdaDetail-name">{props.name}</h3>
        {detail && (
          <>
            <span className="ol-chip ol-LambdaDetail-version">v{detail.version}</span>
            <StateChip state={detail.state} instances={detail.instances} />
          </>
        )}
      </div>
      {detail === null ? (
        <p className="ol-empty">Loading…</p>
      ) : (
        <>
          <Section title="Invoke" open>
            <InvokeBox key={props.name} name={props.name} />
          </Section>
          <Section title="Code" open>
            <CodeView source={detail.code} mimeType="text/x-python" readOnly label={`The code of ${props.name}`} />
          </Section>
          <Section title="Settings">
            <Settings detail={detail} />
          </Section>
          <Section title="Versions" open>
            <Versions detail={detail} />
          </Section>
          <Section title="Recent invocations" open>
            <Invocations logs={model.logs} />
          </Section>
          <div className="ol-actions ol-danger-zone">
            <button className="jp-Button jp-mod-styled jp-mod-warn ol-remove" onClick={() => void remove(props.name)}>
              Remove {props.name}
            </button>
          </div>
        </>
      )}
    </div>
  );

  async function remove(name: string): Promise<void> {
    const answer = await showDialog({
      title: `Remove the lambda ${name}?`,
      body:
        'Its sandbox stops, and its versions and invocation log are deleted. Its packages stay in the store ' +
        'until a garbage collection.',
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Remove' })]
    });
    if (answer.button.accept) {
      await model.remove(name);
    }
  }
}

function Section(props: { title: string; open?: boolean; children: React.ReactNode }): JSX.Element {
  return (
    <details className="ol-Section" open={props.open} data-section={props.title}>
      <summary>{props.title}</summary>
      <div className="ol-Section-body">{props.children}</div>
    </details>
  );
}

function Settings(props: { detail: ILambdaDetail }): JSX.Element {
  const settings: ILambdaSettings = props.detail.settings;
  const env = Object.keys(settings.env);
  const network = settings.network === 'host' ? "the host's network" : settings.network ? 'internet, own namespace' : 'none';
  const rows: [string, string][] = [
    ['timeout', formatSeconds(settings.timeout)],
    ['memory', formatBytes(settings.memory)],
    ['instances', String(settings.instances)],
    ['queue', String(settings.queue)],
    ['processes', String(settings.processes)],
    ['network', network],
    ['env', env.length ? `${env.join(', ')} (values not shown)` : 'none'],
    ['requirements', props.detail.requirements.trim() || 'none'],
    ['serving', props.detail.serving ?? 'no sandbox yet']
  ];
  return (
    <dl className="ol-Settings">
      {rows.map(([name, value]) => (
        <React.Fragment key={name}>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </React.Fragment>
      ))}
    </dl>
  );
}

function Versions(props: { detail: ILambdaDetail }): JSX.Element {
  const model = useModel();
  const { detail } = props;
  const rollback = async (version: number): Promise<void> => {
    const answer = await showDialog({
      title: `Serve version ${version} of ${detail.name}?`,
      body: `Every call to ${detail.name} runs version ${version} from now on, with the packages it pinned.`,
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Roll back' })]
    });
    if (answer.button.accept) {
      await model.rollback(detail.name, version);
    }
  };
  return (
    <ul className="ol-Versions">
      {detail.history.map(kept => (
        <li key={kept.version} className="ol-Version" data-version={kept.version}>
          <span className="ol-chip">v{kept.version}</span>
          <span className="ol-Version-when">{formatTime(kept.created_at)}</span>
          <span className="ol-Version-pins" title={kept.pins.join('\n')}>
            {kept.pins.length ? kept.pins.join(', ') : 'no packages'}
          </span>
          {kept.version === detail.version ? (
            <span className="ol-chip ol-current">current</span>
          ) : (
            <button className="jp-Button jp-mod-styled jp-mod-reject ol-rollback" onClick={() => void rollback(kept.version)}>
              Roll back to v{kept.version}
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

function Invocations(props: { logs: readonly IInvocationLog[] }): JSX.Element {
  if (props.logs.length === 0) {
    return <p className="ol-empty">Not invoked yet.</p>;
  }
  return (
    <table className="ol-table ol-Invocations">
      <thead>
        <tr>
          <th>time</th>
          <th>version</th>
          <th>latency</th>
          <th>outcome</th>
        </tr>
      </thead>
      <tbody>
        {props.logs.map(log => (
          <React.Fragment key={`${log.at}-${log.version}`}>
            <tr className="ol-Invocation">
              <td>{formatTime(log.at)}</td>
              <td>v{log.version}</td>
              <td>
                {formatSeconds(log.duration)} <span className="ol-hint">{log.cold ? 'cold' : 'warm'}</span>
              </td>
              <td>
                <Outcome last={log} />
              </td>
            </tr>
            {(log.stdout || log.stderr || log.error) && (
              <tr className="ol-Invocation-output">
                <td colSpan={4}>
                  <pre>{firstLines([log.error ?? '', log.stdout, log.stderr].filter(Boolean).join('\n'), 3)}</pre>
                </td>
              </tr>
            )}
          </React.Fragment>
        ))}
      </tbody>
    </table>
  );
}
