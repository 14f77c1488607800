/** Numbers as the sidebar shows them. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) {
    return '–';
  }
  if (seconds < 1) {
    return `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)} ms`;
  }
  return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
}

/** A Unix time (seconds) or an ISO date as local time, with the date unless it is today. */
export function formatTime(at: number | string, now: Date = new Date()): string {
  const date = typeof at === 'number' ? new Date(at * 1000) : new Date(at);
  if (Number.isNaN(date.getTime())) {
    return String(at);
  }
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  if (date.toDateString() === now.toDateString()) {
    return time;
  }
  return `${date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}

/** The first `count` lines of `text`, with "…" when there are more. */
export function firstLines(text: string, count: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  return lines.length > count ? `${lines.slice(0, count).join('\n')}\n…` : lines.join('\n');
}
