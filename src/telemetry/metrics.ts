/**
 * Optional OpenTelemetry metrics. The core does not depend on `@opentelemetry/api`: it uses
 * the meter you pass, or the API's global meter when the package is installed (an optional
 * peer), or nothing. Attributes carry grants, error codes and states; never a session id, a
 * token, a code or a key. docs/operations.md documents each metric (a test keeps the two in step).
 *
 * @module
 */
import { loadOpenTelemetryApi } from './otel-api.js'

/**
 * Attributes of one metric data point: codes and states only.
 * @group Observability
 */
export type MetricAttributes = Record<string, string>

/**
 * What this library passes when it creates an instrument.
 * @group Observability
 */
export interface InstrumentOptions {
  /** What the instrument measures, in a sentence. */
  description?: string
  /** Its unit in UCUM form (`s`, `{request}`). */
  unit?: string
  /** Hints to the SDK: a histogram's bucket boundaries. */
  advice?: { explicitBucketBoundaries?: number[] }
}

/**
 * The part of an OpenTelemetry `Counter` (or `UpDownCounter`) this library uses.
 * @group Observability
 */
export interface CounterLike {
  /** Adds `value` (negative only on an up/down counter) under `attributes`. */
  add(value: number, attributes?: MetricAttributes): void
}

/**
 * The part of an OpenTelemetry `Histogram` this library uses.
 * @group Observability
 */
export interface HistogramLike {
  /** Records one measurement under `attributes`. */
  record(value: number, attributes?: MetricAttributes): void
}

/**
 * What an observable instrument's callback is given to report a value.
 * @group Observability
 */
export interface ObservableResultLike {
  /** Reports the current value under `attributes`. */
  observe(value: number, attributes?: MetricAttributes): void
}

/**
 * The part of an OpenTelemetry observable instrument this library uses.
 * @group Observability
 */
export interface ObservableLike {
  /** Registers `callback`, which the SDK calls at each collection. */
  addCallback(callback: (result: ObservableResultLike) => void): void
}

/**
 * The part of an OpenTelemetry `Meter` this library uses (`metrics.getMeter(…)` fits).
 * @group Observability
 */
export interface MeterLike {
  createCounter(name: string, options?: InstrumentOptions): CounterLike
  createHistogram(name: string, options?: InstrumentOptions): HistogramLike
  createObservableUpDownCounter(name: string, options?: InstrumentOptions): ObservableLike
}

/** The `meter` option: a meter, `false` for none, or `undefined` to use the global one if any. */
export type MeterOption = MeterLike | false | undefined

/** The kinds of OpenTelemetry instrument this library records with. */
export type InstrumentKind = 'Counter' | 'Histogram' | 'ObservableUpDownCounter'

/** One metric: what docs/operations.md's table states about it. */
export interface MetricDefinition {
  name: string
  instrument: InstrumentKind
  unit: string
  /** The attribute keys of its data points (each point carries all of them). */
  attributes: readonly string[]
  description: string
  /** Histogram bucket boundaries suggested to the SDK (in `unit`). */
  buckets?: readonly number[]
}

/** Attribute keys, as the spans name them where they share one. */
export const METRIC_ATTRIBUTES = {
  grantType: 'bolt.oauth.grant_type',
  outcome: 'bolt.oauth.outcome',
  leaseState: 'bolt.lease.state',
  takeoverReason: 'bolt.lease.takeover.reason',
  operation: 'bolt.operation',
} as const

const A = METRIC_ATTRIBUTES

// OpenTelemetry's HTTP client duration buckets (semantic conventions), in seconds, and two more:
// a call with its retries may last past one attempt's 10 s deadline.
const REQUEST_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 15, 30,
]
// A wait lasts up to a lease (15 s by default), or two when it outlives one.
const WAIT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30]

/** Every metric this library records. */
export const METRICS = {
  tokenRequests: {
    name: 'bolt.oauth.token.requests',
    instrument: 'Counter',
    unit: '{request}',
    attributes: [A.grantType, A.outcome],
    description: "Calls to Bolt's token endpoint (retries included), by grant and outcome.",
  },
  tokenDuration: {
    name: 'bolt.oauth.token.duration',
    instrument: 'Histogram',
    unit: 's',
    attributes: [A.grantType, A.outcome],
    description: "How long a call to Bolt's token endpoint took, retries included.",
    buckets: REQUEST_BUCKETS,
  },
  leaseWait: {
    name: 'bolt.session.lease.wait.duration',
    instrument: 'Histogram',
    unit: 's',
    attributes: [],
    description:
      "How long a call for a token waited for another holder's lease on the session (a refresh or a login in flight).",
    buckets: WAIT_BUCKETS,
  },
  takeovers: {
    name: 'bolt.session.lease.takeovers',
    instrument: 'Counter',
    unit: '{takeover}',
    attributes: [A.leaseState, A.takeoverReason],
    description:
      'Leases of other holders this instance took over (the holder crashed or hung; on a store without a clock, its clock may run ahead).',
  },
  storeErrors: {
    name: 'bolt.store.errors',
    instrument: 'Counter',
    unit: '{error}',
    attributes: [A.operation],
    description: 'Failures of the session store (STORE_UNAVAILABLE), by the operation they failed.',
  },
  scopeRequired: {
    name: 'bolt.session.scope_required',
    instrument: 'Counter',
    unit: '{call}',
    attributes: [],
    description:
      'Calls for a bolt.account.manage token refused with SCOPE_REQUIRED: the shopper must log in again (step-up).',
  },
  refreshQueue: {
    name: 'bolt.refresh.queue.length',
    instrument: 'ObservableUpDownCounter',
    unit: '{refresh}',
    attributes: [],
    description:
      "Refreshes waiting in this instance's line for a slot (maxRefreshesInFlight, or a pause Bolt asked for).",
  },
} as const satisfies Record<string, MetricDefinition>

/** Something whose waiting callers can be counted: a manager's request gate. */
export interface Queue {
  readonly waiting: number
}

/** The instruments of one meter, created once however many managers record with it. */
export interface Instruments {
  tokenRequests: CounterLike
  tokenDuration: HistogramLike
  leaseWait: HistogramLike
  takeovers: CounterLike
  storeErrors: CounterLike
  scopeRequired: CounterLike
  /** The queues the queue-length callback sums, held weakly: a dropped manager is collected. */
  queues: Set<WeakRef<Queue>>
}

function options(definition: MetricDefinition): InstrumentOptions {
  return {
    description: definition.description,
    unit: definition.unit,
    ...(definition.buckets === undefined
      ? {}
      : { advice: { explicitBucketBoundaries: [...definition.buckets] } }),
  }
}

const instrumentsByMeter = new WeakMap<MeterLike, Instruments>()

/** The instruments of `meter`, created on first use. */
export function instrumentsOf(meter: MeterLike): Instruments {
  let instruments = instrumentsByMeter.get(meter)
  if (instruments !== undefined) return instruments
  const M = METRICS
  const queues = new Set<WeakRef<Queue>>()
  instruments = {
    tokenRequests: meter.createCounter(M.tokenRequests.name, options(M.tokenRequests)),
    tokenDuration: meter.createHistogram(M.tokenDuration.name, options(M.tokenDuration)),
    leaseWait: meter.createHistogram(M.leaseWait.name, options(M.leaseWait)),
    takeovers: meter.createCounter(M.takeovers.name, options(M.takeovers)),
    storeErrors: meter.createCounter(M.storeErrors.name, options(M.storeErrors)),
    scopeRequired: meter.createCounter(M.scopeRequired.name, options(M.scopeRequired)),
    queues,
  }
  // One callback per meter, summing every live manager's line: two managers in one process
  // report one figure, as two instances report two that a dashboard adds up.
  meter
    .createObservableUpDownCounter(M.refreshQueue.name, options(M.refreshQueue))
    .addCallback((result) => {
      let waiting = 0
      for (const ref of queues) {
        const queue = ref.deref()
        if (queue === undefined) queues.delete(ref)
        else waiting += queue.waiting
      }
      result.observe(waiting)
    })
  instrumentsByMeter.set(meter, instruments)
  return instruments
}

let globalApi: { getMeter(name: string): unknown } | undefined
let globalLoad: Promise<void> | undefined

/** A resolved `meter` option: see {@link resolveMeter}. */
export interface ResolvedMeter {
  /** The meter to record with now, if any. */
  meter: () => MeterLike | undefined
  /** Settles once `meter` can answer; `undefined` when it already can. */
  ready: Promise<void> | undefined
}

/**
 * Resolves the `meter` option: the given meter, none (`undefined`), or the global one once
 * `@opentelemetry/api` has loaded. The global meter is asked for on every call, so a meter
 * provider registered after the manager was created is used too.
 */
export function resolveMeter(option: MeterOption): ResolvedMeter | undefined {
  if (option === false) return undefined
  if (option !== undefined) return { meter: () => option, ready: undefined }
  globalLoad ??= loadOpenTelemetryApi().then((api) => {
    globalApi = api?.metrics
  })
  return {
    meter: () => globalApi?.getMeter('bolt-token-lifecycle') as MeterLike | undefined,
    ready: globalApi === undefined ? globalLoad : undefined,
  }
}
