/** Checking an event's JSON text before anything is sent. */

export type JSONCheck = { ok: true } | { ok: false; message: string };

export function checkJSON(text: string): JSONCheck {
  if (text.trim() === '') {
    return { ok: false, message: 'The event is empty: write a JSON value, e.g. {} or null.' };
  }
  try {
    JSON.parse(text);
    return { ok: true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `Not JSON: ${message}${where(text, message)}` };
  }
}

/** " (line L, column C)" when the parser gave a position but no line. */
function where(text: string, message: string): string {
  const position = /position (\d+)/.exec(message);
  if (!position || /line \d+/.test(message)) {
    return '';
  }
  const before = text.slice(0, Number(position[1])).split('\n');
  return ` (line ${before.length}, column ${before[before.length - 1].length + 1})`;
}
