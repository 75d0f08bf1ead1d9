import { JOB_KINDS, type JobKind, type JobKindName, type Lane, type PayloadOf } from './kinds.js';

/** What a handler knows of the job it runs. */
export interface JobContext {
  key: string;
  runAt: Date;
  /** This attempt's number (1 on the first run). */
  attempts: number;
  /** When the work must have answered (epoch ms on the agent's clock), for lanes that set one (reasoning). */
  deadline?: number;
}

export type JobHandler<D, K extends JobKindName> = (deps: D, payload: PayloadOf<K>, job: JobContext) => Promise<void>;

/** A handler for every kind: the services export theirs, the composition root joins them. */
export type JobHandlers<D> = { [K in JobKindName]: JobHandler<D, K> };

export interface CatalogEntry<D> extends JobKind {
  kind: JobKindName;
  run(deps: D, payload: unknown, job: JobContext): Promise<void>;
}

/** The one table to read to learn what runs in the background: kind → payload schema, handler, lane, retry. */
export interface Catalog<D> {
  readonly entries: ReadonlyMap<JobKindName, CatalogEntry<D>>;
  entry(kind: string): CatalogEntry<D> | undefined;
  kindsOf(lane: Lane): JobKindName[];
}

export interface CatalogOptions {
  /** A recurring kind's period from the configuration instead of its declared default. */
  everyMs?: Partial<Record<JobKindName, number>>;
}

export function createCatalog<D>(handlers: JobHandlers<D>, opts: CatalogOptions = {}): Catalog<D> {
  const entries = new Map<JobKindName, CatalogEntry<D>>();
  for (const kind of Object.keys(JOB_KINDS) as JobKindName[]) {
    const declared: JobKind = JOB_KINDS[kind];
    const every = opts.everyMs?.[kind];
    const spec: JobKind = declared.everyMs !== undefined && every !== undefined ? { ...declared, everyMs: every } : declared;
    const handler = handlers[kind] as (deps: D, payload: unknown, job: JobContext) => Promise<void>;
    entries.set(kind, {
      kind,
      ...spec,
      // The payload is parsed before the handler sees it: a row that does not fit its kind fails as itself.
      run: (deps, payload, job) => handler(deps, spec.payload.parse(payload), job),
    });
  }
  return {
    entries,
    entry: (kind) => entries.get(kind as JobKindName),
    kindsOf: (lane) => [...entries.values()].filter((e) => e.lane === lane).map((e) => e.kind),
  };
}
