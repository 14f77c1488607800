/** The panel as a JupyterLab widget: it tells the model when it is shown and hidden. */

import { IEditorServices } from '@jupyterlab/codeeditor';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

import { SidebarContext } from './components/context';
import { Sidebar } from './components/Sidebar';
import { lambdaIcon } from './icon';
import { SidebarModel } from './model';

export const SIDEBAR_ID = 'ol-notebook-sidebar';

export class SidebarWidget extends ReactWidget {
  constructor(
    readonly model: SidebarModel,
    private readonly editors: IEditorServices
  ) {
    super();
    this.id = SIDEBAR_ID;
    this.title.icon = lambdaIcon;
    this.title.caption = 'Lambdas: deployed lambdas, the package store and live activity (ol-notebook)';
    this.addClass('ol-Sidebar');
  }

  protected render(): JSX.Element {
    return (
      <SidebarContext.Provider value={{ model: this.model, editors: this.editors }}>
        <Sidebar />
      </SidebarContext.Provider>
    );
  }

  protected onAfterShow(): void {
    this.model.setVisible(true);
  }

  protected onAfterHide(): void {
    this.model.setVisible(false);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.model.setVisible(this.isVisible);
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.setVisible(false);
    super.onBeforeDetach(msg);
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}
