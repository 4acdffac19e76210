/**
 * What a failed statement says about itself, whichever client ran it: node-postgres puts the SQLSTATE and the
 * constraint on its error; Prisma wraps that error (PrismaClientKnownRequestError, its
 * `meta.driverAdapterError.cause`, or a bare DriverAdapterError's `cause`) and keeps both as `originalCode` and
 * `constraint.index`. Errors are told apart by these, never by their message text.
 */
type AdapterCause = { originalCode?: string; kind?: string; constraint?: { index?: string } };

function adapterCause(error: unknown): AdapterCause | undefined {
  const e = error as { meta?: { driverAdapterError?: { cause?: AdapterCause } }; cause?: AdapterCause; name?: string };
  if (e?.meta?.driverAdapterError?.cause) return e.meta.driverAdapterError.cause;
  if (e?.name === 'DriverAdapterError' && e.cause) return e.cause;
  return undefined;
}

/** The SQLSTATE PostgreSQL gave, if it gave one (a lost connection has none). */
export function sqlState(error: unknown): string | undefined {
  const cause = adapterCause(error);
  if (cause) return cause.originalCode;
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The constraint a statement violated, by name (e.g. `processed_commands_pkey`). */
export function violatedConstraint(error: unknown): string | undefined {
  const cause = adapterCause(error);
  if (cause) return cause.constraint?.index;
  const constraint = (error as { constraint?: unknown })?.constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}

/** Prisma's names for a connection that failed or went away (its adapter's socket-error kinds). */
const CONNECTION_KINDS = new Set(['ConnectionClosed', 'DatabaseNotReachable', 'SocketTimeout', 'TooManyConnections']);

/**
 * Errors that say nothing about the statement, so the work is retried rather than given up on: the connection or
 * the server went away (08, 57P), serialization or deadlock (40001, 40P01), the server out of resources (53: disk,
 * memory, connections), a cancelled statement or lock timeout (57014, 55P03), a system error (58). node-postgres's
 * own connection errors carry no SQLSTATE, so those are known by message: the one place that reads one.
 */
export function isTransient(error: unknown): boolean {
  const code = sqlState(error);
  if (code !== undefined) {
    return /^(08|57P|53|58)/.test(code) || ['40001', '40P01', '57014', '55P03'].includes(code);
  }
  if (CONNECTION_KINDS.has(adapterCause(error)?.kind ?? '')) return true;
  return /Connection terminated|connection is closed|ECONNRESET|ECONNREFUSED|Client has encountered a connection error/i.test(
    String((error as Error)?.message ?? error),
  );
}
