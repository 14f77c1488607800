import { IEditorServices } from '@jupyterlab/codeeditor';
import * as React from 'react';

import { SidebarModel } from '../model';

/** What every part of the sidebar draws from. */
export interface ISidebarContext {
  model: SidebarModel;
  editors: IEditorServices;
}

export const SidebarContext = React.createContext<ISidebarContext | null>(null);

export function useSidebar(): ISidebarContext {
  const context = React.useContext(SidebarContext);
  if (context === null) {
    throw new Error('a sidebar component was drawn outside the sidebar');
  }
  return context;
}

/** The model, re-drawing the calling component whenever it changes. */
export function useModel(): SidebarModel {
  const { model } = useSidebar();
  const [, redraw] = React.useReducer((count: number) => count + 1, 0);
  React.useEffect(() => {
    const onChange = (): void => redraw();
    model.changed.connect(onChange);
    return () => {
      model.changed.disconnect(onChange);
    };
  }, [model]);
  return model;
}
