/**
 * Whether a failed batch failed because of the infrastructure (database unreachable, overloaded,
 * a serialisation conflict) rather than because of an entry. Such failures never count an entry
 * towards the dead-letter stream: the consumer backs off and tries again.
 */
const NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const POSTGRES_JS_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT']);
// SQLSTATE: 08 connection, 53 resources, 57 operator intervention (shutdown), 40001/40P01 conflicts, 55P03 lock.
const SQLSTATE_PREFIXES = ['08', '53', '57'];
const SQLSTATES = new Set(['40001', '40P01', '55P03']);

export function isTransientError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (NODE_CODES.has(code) || POSTGRES_JS_CODES.has(code) || SQLSTATES.has(code)) return true;
      if (/^[0-9A-Z]{5}$/.test(code) && SQLSTATE_PREFIXES.some((p) => code.startsWith(p))) return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
