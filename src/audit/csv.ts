/** CSV with formula-injection guarding: a cell a spreadsheet would evaluate is prefixed with '. */

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  if (/[",\r\n]/.test(s)) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

export function csvLine(values: readonly unknown[]): string {
  // LF like PostgreSQL's COPY … CSV, so both export paths write the same file.
  return `${values.map(csvCell).join(',')}\n`;
}
