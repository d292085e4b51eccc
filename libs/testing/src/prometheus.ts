// Prometheus text for assertions: the services' /metrics pages as tests read them.

/** A series line: name, optional `{labels}` (quoted values may hold `}`), value, optional timestamp. */
const SERIES = /^([a-zA-Z_:][\w:]*)(?:\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;
const unescape = (value: string) => value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** Reads one sample from Prometheus text: the first series with this name whose labels include `labels`. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = SERIES.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(LABEL)) found[pair[1]!] = unescape(pair[2]!);
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/**
 * Fetches a /metrics page and reads one sample from it: 0 when the series is absent (a counter
 * not counted yet is not exported until its first increment).
 */
export async function scrapeSample(metricsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const response = await fetch(metricsUrl);
  if (!response.ok) throw new Error(`${metricsUrl} answered ${response.status}`);
  return sample(await response.text(), name, labels) ?? 0;
}
