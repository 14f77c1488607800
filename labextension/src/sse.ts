/**
 * Server-sent events, parsed from text as it arrives (the `data:` lines of each event; comments
 * such as the server's heartbeats are skipped).
 */

export interface ISSEChunk {
  /** The data of every complete event in the text, in order. */
  data: string[];
  /** What is left after the last complete event: prepend it to the next text. */
  rest: string;
}

export function parseSSE(text: string): ISSEChunk {
  const normalized = text.replace(/\r\n?/g, '\n');
  const blocks = normalized.split('\n\n');
  const rest = blocks.pop() ?? '';
  const data: string[] = [];
  for (const block of blocks) {
    const lines = block
      .split('\n')
      .filter(line => line.startsWith('data:'))
      .map(line => line.slice(line.startsWith('data: ') ? 6 : 5));
    if (lines.length) {
      data.push(lines.join('\n'));
    }
  }
  return { data, rest };
}
