/**
 * The ol-notebook sidebar: a left-area panel with the server's lambdas, its package store and
 * live activity, plus commands in the palette and the View menu (the menu entries come from
 * schema/plugin.json). It needs neither ILabShell nor ILayoutRestorer, so Notebook 7, which
 * has no sidebar tab bar, opens it from View too.
 */

import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, InputDialog } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { OLClient } from './client';
import { lambdaIcon } from './icon';
import { SidebarModel } from './model';
import { SidebarWidget } from './widget';

const PLUGIN_ID = 'ol-notebook:plugin';
const CATEGORY = 'ol-notebook';
/** Below the file browser and the running-sessions panel in JupyterLab's left area. */
const RANK = 600;

export namespace CommandIDs {
  export const open = 'ol-notebook:open';
  export const refresh = 'ol-notebook:refresh';
  export const invoke = 'ol-notebook:invoke';
}

const DEFAULTS = { liveEvents: true, recentInvocations: 10 };

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Lambdas and packages at a glance, invoke with a JSON event, live progress.',
  autoStart: true,
  requires: [IEditorServices],
  optional: [ICommandPalette, ISettingRegistry, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    editors: IEditorServices,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null
  ) => {
    const client = new OLClient(app.serviceManager.serverSettings);
    const model = new SidebarModel({ client, ...DEFAULTS });
    const widget = new SidebarWidget(model, editors);
    app.shell.add(widget, 'left', { rank: RANK, type: 'Lambdas' });
    restorer?.add(widget, widget.id);

    const open = (): void => {
      if (!widget.isAttached) {
        app.shell.add(widget, 'left', { rank: RANK, type: 'Lambdas' });
      }
      app.shell.activateById(widget.id);
    };

    app.commands.addCommand(CommandIDs.open, {
      label: 'Lambdas Panel',
      caption: 'Show the ol-notebook panel: lambdas, packages and live activity',
      icon: args => (args.isPalette ? undefined : lambdaIcon),
      execute: open
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Lambdas and Packages',
      caption: 'Ask the server again for its lambdas and packages',
      execute: async () => {
        open();
        await model.refresh();
      }
    });
    app.commands.addCommand(CommandIDs.invoke, {
      label: args => (args.name ? `Invoke Lambda ${args.name as string}` : 'Invoke a Lambda…'),
      caption: 'Open a lambda in the panel, with the focus in its invoke box',
      execute: async args => {
        let name = typeof args.name === 'string' ? args.name : null;
        if (name === null) {
          const names = (await client.lambdas()).map(item => item.name);
          if (names.length === 0) {
            open();
            return;
          }
          const answer = await InputDialog.getItem({ title: 'Invoke which lambda?', items: names });
          name = answer.button.accept ? answer.value : null;
        }
        if (name !== null) {
          open();
          model.requestInvoke(name);
        }
      }
    });
    for (const command of [CommandIDs.open, CommandIDs.invoke, CommandIDs.refresh]) {
      palette?.addItem({ command, category: CATEGORY });
    }

    if (settingRegistry) {
      void settingRegistry.load(PLUGIN_ID).then(settings => {
        const apply = (): void =>
          model.configure(
            settings.get('liveEvents').composite as boolean,
            settings.get('recentInvocations').composite as number
          );
        apply();
        settings.changed.connect(apply);
      });
    }
  }
};

export default plugin;
