/**
 * The package store: a sortable, filterable table (name, version, size, import names, index,
 * the lambdas that use each), the store's total size, Verify, and garbage collection, which
 * shows its dry run and asks before deleting anything.
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import { formatBytes } from '../format';
import { IPackage } from '../types';
import { useModel } from './context';
import { KeyList } from './KeyList';

type Column = 'name' | 'version' | 'size' | 'import_names' | 'index' | 'used_by';

const COLUMNS: { key: Column; label: string }[] = [
  { key: 'name', label: 'name' },
  { key: 'version', label: 'version' },
  { key: 'size', label: 'size' },
  { key: 'import_names', label: 'imports' },
  { key: 'index', label: 'index' },
  { key: 'used_by', label: 'used by' }
];

export function PackagesTable(): JSX.Element {
  const model = useModel();
  const [filter, setFilter] = React.useState('');
  const [sort, setSort] = React.useState<{ column: Column; ascending: boolean }>({ column: 'name', ascending: true });
  const [report, setReport] = React.useState<{ text: string; ok: boolean } | null>(null);
  const [busy, setBusy] = React.useState(false);
  const store = model.packages;
  if (store === null) {
    return <p className="ol-empty">Loading…</p>;
  }
  const shown = sorted(filtered(store.packages, filter), sort.column, sort.ascending);

  const act = async (action: () => Promise<{ text: string; ok: boolean } | null>): Promise<void> => {
    setBusy(true);
    try {
      setReport(await action());
    } catch (error) {
      setReport({ text: error instanceof Error ? error.message : String(error), ok: false });
    } finally {
      setBusy(false);
    }
  };

  const verify = async (): Promise<{ text: string; ok: boolean }> => {
    const result = await model.client.verify();
    if (result.ok) {
      return { text: `Verified: every file of the ${store.packages.length} package(s) matches its RECORD.`, ok: true };
    }
    const lines = result.corrupt.map(item => `${item.key}: ${item.problems.join('; ')}`);
    return { text: `Corrupt: ${lines.join('\n')}`, ok: false };
  };

  const collect = async (): Promise<{ text: string; ok: boolean } | null> => {
    const dry = await model.client.gc(false);
    if (dry.removed.length === 0) {
      return { text: `Nothing to collect: every package is kept by a lambda or a pull root (${dry.kept.length} kept).`, ok: true };
    }
    const answer = await showDialog({
      title: `Delete ${dry.removed.length} unused package(s)?`,
      body: (
        <div className="ol-GcDryRun">
          <p>
            No lambda version and no pull root keeps these; deleting frees {formatBytes(dry.freed_bytes)}:
          </p>
          <KeyList keys={dry.removed} />
        </div>
      ),
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
    });
    if (!answer.button.accept) {
      return null;
    }
    const done = await model.client.gc(true);
    await model.refreshPackages();
    return { text: `Deleted ${done.removed.join(', ')}: ${formatBytes(done.freed_bytes)} freed.`, ok: true };
  };

  return (
    <div className="ol-Packages">
      <div className="ol-Packages-summary">
        <span className="ol-Packages-total">
          {store.packages.length} package{store.packages.length === 1 ? '' : 's'}, {formatBytes(store.total_size)} in all
        </span>
      </div>
      <div className="ol-actions">
        <input
          className="ol-filter jp-mod-styled"
          type="search"
          placeholder="Filter: name, import, lambda…"
          aria-label="Filter packages"
          value={filter}
          onChange={event => setFilter(event.target.value)}
        />
        <button className="jp-Button jp-mod-styled jp-mod-reject ol-verify" disabled={busy} onClick={() => void act(verify)}>
          Verify
        </button>
        <button className="jp-Button jp-mod-styled jp-mod-reject ol-gc" disabled={busy} onClick={() => void act(collect)}>
          Garbage-collect
        </button>
      </div>
      {report && (
        <p className={`ol-report ${report.ok ? 'ol-report-ok' : 'ol-report-error'}`} role="status">
          {report.text}
        </p>
      )}
      <div className="ol-table-scroll">
        <table className="ol-table ol-PackagesTable" aria-label="Packages">
          <thead>
            <tr>
              {COLUMNS.map(column => (
                <th
                  key={column.key}
                  aria-sort={sort.column === column.key ? (sort.ascending ? 'ascending' : 'descending') : 'none'}
                >
                  <button
                    className="ol-sort"
                    onClick={() =>
                      setSort({ column: column.key, ascending: sort.column === column.key ? !sort.ascending : true })
                    }
                  >
                    {column.label}
                    {sort.column === column.key ? (sort.ascending ? ' ▲' : ' ▼') : ''}
                  </button>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map(item => (
              <tr key={item.key} data-key={item.key}>
                <td>{item.name}</td>
                <td>{item.version}</td>
                <td className="ol-number">{formatBytes(item.size)}</td>
                <td>{item.import_names.join(', ')}</td>
                <td className="ol-index" title={item.index}>
                  {shortIndex(item.index)}
                </td>
                <td>{item.used_by.length ? item.used_by.join(', ') : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.length === 0 && (
        <p className="ol-empty">
          {store.packages.length ? 'No package matches the filter.' : 'The store is empty: deploying a lambda with requirements pulls them.'}
        </p>
      )}
    </div>
  );
}

function filtered(packages: readonly IPackage[], filter: string): IPackage[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  return packages.filter(item => {
    const text = [item.key, item.index, ...item.import_names, ...item.used_by].join(' ').toLowerCase();
    return words.every(word => text.includes(word));
  });
}

function sorted(packages: IPackage[], column: Column, ascending: boolean): IPackage[] {
  const value = (item: IPackage): string | number => {
    const field = item[column];
    return Array.isArray(field) ? field.join(', ') : field;
  };
  const order = (a: IPackage, b: IPackage): number => {
    const [x, y] = [value(a), value(b)];
    const primary = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
    return primary || a.key.localeCompare(b.key);
  };
  return packages.sort((a, b) => (ascending ? order(a, b) : order(b, a)));
}

/** An index URL without its scheme and trailing "/simple/", for a narrow column. */
function shortIndex(index: string): string {
  return index.replace(/^[a-z]+:\/\//, '').replace(/\/simple\/?$/, '');
}
