import { fmt } from './stats.js';
import type { Row } from './types.js';

export interface ReportLine {
  readonly section: string;
  readonly row: Row;
}

const HEADER = ['section', 'metric', 'n', 'median / value', 'p99', 'max', 'note'] as const;

function cells({ section, row }: ReportLine): string[] {
  if (row.kind === 'dist') {
    const u = ` ${row.unit}`;
    return [section, row.metric, String(row.dist.n), fmt(row.dist.median) + u, fmt(row.dist.p99) + u, fmt(row.dist.max) + u, row.note ?? ''];
  }
  return [section, row.metric, row.n === undefined ? '' : String(row.n), row.value, '', '', row.note ?? ''];
}

/** Aligned plain-text table for the terminal. */
export function textTable(lines: readonly ReportLine[]): string {
  const rows = [HEADER as readonly string[], ...lines.map(cells)];
  const widths = HEADER.map((_, c) => Math.max(...rows.map((r) => [...r[c]!].length)));
  const render = (r: readonly string[]) => r.map((cell, c) => (c === 2 || (c >= 3 && c <= 5) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  return [render(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(render)].join('\n');
}

const md = (s: string) => s.replace(/\|/g, '\\|');

export function markdownTable(lines: readonly ReportLine[]): string {
  const head = `| ${HEADER.join(' | ')} |`;
  const sep = `|${HEADER.map((_, c) => (c >= 2 && c <= 5 ? '---:' : '---')).join('|')}|`;
  return [head, sep, ...lines.map((l) => `| ${cells(l).map(md).join(' | ')} |`)].join('\n');
}
