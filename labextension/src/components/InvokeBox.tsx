/**
 * The invoke box: a JSON editor for the event, checked before sending (invalid JSON is shown
 * inline and nothing is sent), a Run button, and what came back: the result, the handler's
 * output, duration and cold/warm; or the error with its type, the HTTP status and the lambda's
 * traceback.
 */

import { CodeEditor } from '@jupyterlab/codeeditor';
import * as React from 'react';

import { OLRequestError } from '../client';
import { formatSeconds } from '../format';
import { checkJSON } from '../json';
import { InvokeOutcome } from '../model';
import { CodeView } from './CodeView';
import { useModel } from './context';

const DEFAULT_EVENT = '{}';

export function InvokeBox(props: { name: string }): JSX.Element {
  const model = useModel();
  const [event, setEvent] = React.useState(DEFAULT_EVENT);
  const [shownProblem, setShownProblem] = React.useState('');
  const [running, setRunning] = React.useState(false);
  const [outcome, setOutcome] = React.useState<InvokeOutcome | null>(null);
  const editor = React.useRef<CodeEditor.IEditor | null>(null);

  const focusIfAsked = (): void => {
    if (editor.current && model.claimInvokeFocus(props.name)) {
      editor.current.focus();
    }
  };
  React.useEffect(() => {
    model.invokeRequested.connect(focusIfAsked);
    return () => {
      model.invokeRequested.disconnect(focusIfAsked);
    };
  }, [model, props.name]);

  const onChange = (text: string): void => {
    setEvent(text);
    const check = checkJSON(text);
    setShownProblem(check.ok ? '' : check.message);
  };

  const run = async (): Promise<void> => {
    const check = checkJSON(event);
    if (!check.ok) {
      setShownProblem(check.message);
      editor.current?.focus();
      return; // nothing is sent
    }
    setRunning(true);
    setOutcome(null);
    try {
      setOutcome(await model.invoke(props.name, event));
    } finally {
      setRunning(false);
    }
  };

  return (
    <div className="ol-InvokeBox">
      <CodeView
        source={DEFAULT_EVENT}
        mimeType="application/json"
        readOnly={false}
        onChange={onChange}
        onReady={ready => {
          editor.current = ready;
          focusIfAsked();
        }}
        label={`The JSON event to invoke ${props.name} with`}
        className={`ol-InvokeBox-event ${shownProblem ? 'ol-mod-invalid' : ''}`}
      />
      {shownProblem && (
        <p className="ol-InvokeBox-invalid" role="alert">
          {shownProblem}
        </p>
      )}
      <div className="ol-actions">
        <button className="jp-Button jp-mod-styled jp-mod-accept ol-InvokeBox-run" onClick={() => void run()} disabled={running}>
          {running ? 'Running…' : 'Run'}
        </button>
        <span className="ol-hint">The event as JSON; the result comes back as JSON.</span>
      </div>
      {outcome && <OutcomeView outcome={outcome} />}
    </div>
  );
}

function OutcomeView(props: { outcome: InvokeOutcome }): JSX.Element {
  const { outcome } = props;
  if (outcome.ok) {
    const { invocation } = outcome;
    return (
      <section className="ol-Outcome ol-Outcome-ok" aria-label="Result">
        <p className="ol-Outcome-meta">
          <span className="ol-chip ol-outcome-ok">200 OK</span> {invocation.version} · {formatSeconds(invocation.duration)} ·{' '}
          <span className="ol-Outcome-start">{invocation.cold ? 'cold start' : 'warm'}</span>
        </p>
        <Output label="Result" text={JSON.stringify(invocation.result, null, 2)} className="ol-Outcome-result" />
        <Output label="stdout" text={invocation.stdout} className="ol-Outcome-stdout" />
        <Output label="stderr" text={invocation.stderr} className="ol-Outcome-stderr" />
      </section>
    );
  }
  return <ErrorView error={outcome.error} />;
}

function ErrorView(props: { error: OLRequestError }): JSX.Element {
  const { error } = props;
  const details = error.details;
  const text = (key: string): string => (typeof details[key] === 'string' ? (details[key] as string) : '');
  const raised = text('type');
  return (
    <section className="ol-Outcome ol-Outcome-error" aria-label="Error" role="alert">
      <p className="ol-Outcome-meta">
        <span className="ol-chip ol-outcome-error">{error.status ? `HTTP ${error.status}` : 'no answer'}</span>{' '}
        <span className="ol-Outcome-type">{error.type}</span>
      </p>
      <p className="ol-Outcome-message">
        {raised ? `${raised}: ${text('message')}` : error.message}
      </p>
      <Output label="Traceback" text={text('traceback')} className="ol-Outcome-traceback" />
      <Output label="stdout" text={text('stdout')} className="ol-Outcome-stdout" />
      <Output label="stderr" text={text('stderr')} className="ol-Outcome-stderr" />
    </section>
  );
}

function Output(props: { label: string; text: string; className: string }): JSX.Element | null {
  if (!props.text) {
    return null;
  }
  return (
    <div className={`ol-Output ${props.className}`}>
      <div className="ol-Output-label">{props.label}</div>
      <pre>{props.text}</pre>
    </div>
  );
}
