/**
 * A JupyterLab code editor (CodeMirror, with the theme's syntax colours): read-only for a
 * lambda's code, editable for an invoke box's event.
 */

import { CodeEditor } from '@jupyterlab/codeeditor';
import * as React from 'react';

import { useSidebar } from './context';

export interface ICodeViewProps {
  source: string;
  mimeType: string;
  readOnly: boolean;
  /** Called with the whole text after each edit. */
  onChange?: (source: string) => void;
  /** Called once with the editor, e.g. to focus it. */
  onReady?: (editor: CodeEditor.IEditor) => void;
  label: string;
  className?: string;
}

export function CodeView(props: ICodeViewProps): JSX.Element {
  const { editors } = useSidebar();
  const host = React.useRef<HTMLDivElement>(null);
  const model = React.useRef<CodeEditor.Model | null>(null);
  const onChange = React.useRef(props.onChange);
  onChange.current = props.onChange;

  React.useEffect(() => {
    const editorModel = new CodeEditor.Model({ mimeType: props.mimeType });
    editorModel.sharedModel.setSource(props.source);
    const editor = editors.factoryService.newInlineEditor({
      host: host.current!,
      model: editorModel,
      config: { readOnly: props.readOnly, lineNumbers: props.readOnly, lineWrap: false }
    });
    const changed = (): void => onChange.current?.(editorModel.sharedModel.getSource());
    editorModel.sharedModel.changed.connect(changed);
    model.current = editorModel;
    props.onReady?.(editor);
    return () => {
      editorModel.sharedModel.changed.disconnect(changed);
      editor.dispose();
      editorModel.dispose();
      model.current = null;
    };
  }, [editors, props.mimeType, props.readOnly]);

  React.useEffect(() => {
    const shared = model.current?.sharedModel;
    if (shared && shared.getSource() !== props.source) {
      shared.setSource(props.source);
    }
  }, [props.source]);

  return (
    <div
      ref={host}
      className={`ol-CodeView ${props.readOnly ? 'ol-mod-readonly' : 'ol-mod-editable'} ${props.className ?? ''}`}
      aria-label={props.label}
    />
  );
}
