/** Small string helpers shared by every layer; each is linear in its input, whatever the input. */

/** `s` without the slashes it ends with (a loop: `/\/+$/` would be quadratic on a run of slashes). */
export function withoutTrailingSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 47) end--;
  return end === s.length ? s : s.slice(0, end);
}
