import { LabIcon } from '@jupyterlab/ui-components';

/** A lambda (λ) on a rounded square, in the theme's icon colour. */
const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M5 2h14a3 3 0 0 1 3 3v14a3 3 0 0 1-3 3H5a3 3 0 0 1-3-3V5a3 3 0 0 1 3-3zm0 2a1 1 0 0 0-1 1v14a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1V5a1 1 0 0 0-1-1z"/>
  <path class="jp-icon3" fill="#616161" d="M7.2 5.5h2.3c.8 0 1.3.4 1.6 1.1l4.4 10.2c.2.4.4.6.8.6h.5v1.9h-1.3c-1.1 0-1.8-.5-2.2-1.5l-1.6-3.9-2.8 5.4H6.6l3.9-7.6-1-2.3c-.2-.4-.4-.5-.8-.5H7.2z"/>
</svg>`;

export const lambdaIcon = new LabIcon({ name: 'ol-notebook:lambda', svgstr });
