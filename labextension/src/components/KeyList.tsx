import * as React from 'react';

/** Package keys (NAME==VERSION) as a list of code. */
export function KeyList(props: { keys: readonly string[] }): JSX.Element {
  return (
    <ul className="ol-KeyList">
      {props.keys.map(key => (
        <li key={key}>
          <code>{key}</code>
        </li>
      ))}
    </ul>
  );
}
