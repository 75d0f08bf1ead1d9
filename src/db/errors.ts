/**
 * An error's own message for logs and `last_error` columns. A failed statement is wrapped by
 * Drizzle as "Failed query: <SQL> params: <values>": the database's message, its cause, is what
 * a person needs (and the parameters, a whole payload, stay out of the row).
 */
export function errorText(err: unknown, max = 1000): string {
  let e = err;
  while (e instanceof Error && e.message.startsWith('Failed query') && e.cause instanceof Error) e = e.cause;
  const msg = e instanceof Error ? e.message : String(e);
  return msg.length > max ? `${msg.slice(0, max)}…` : msg;
}
