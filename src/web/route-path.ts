/**
 * A route path such as `/v1/proposals/:id/approve` as an anchored pattern and its parameter names,
 * for the API's and the console's route tables alike. Literal segments are escaped; each `:name`
 * segment becomes `param`, a capture group that must not match across `/`.
 */
export function compilePath(path: string, param: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((seg) => {
      if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(seg.slice(1));
      return param;
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), names };
}
