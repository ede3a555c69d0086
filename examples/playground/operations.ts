/**
 * The playground's "operations" panel: what an operator watches, read the way an operator's
 * dashboard would. Refresh and login outcomes, step-ups asked for, lease waits, takeovers,
 * store errors and the refresh line come from the token manager's OpenTelemetry metrics,
 * collected in-process by the OpenTelemetry SDK; sessions by state from `getStatus`.
 */

import { MeterProvider, type MetricData, MetricReader } from '@opentelemetry/sdk-metrics'
import type { MeterLike, TokenState } from 'bolt-token-lifecycle'

/** The six states, in the order the panel lists them. */
const STATES: readonly TokenState[] = [
  'unauthenticated',
  'codeExchange',
  'fullyScoped',
  'expired',
  'refresh',
  'viewOnly',
]

/** What the panel shows. */
export interface Operations {
  /** How many of the playground's sessions are in each state (at the Bolt clock). */
  sessionsByState: Record<TokenState, number>
  /** Refreshes by outcome (`ok` or an error code): `bolt.oauth.token.requests`. */
  refreshes: Record<string, number>
  /** Logins (code exchanges) by outcome: `bolt.oauth.token.requests`. */
  logins: Record<string, number>
  /** `bolt.session.scope_required`: callers told to log in again for manage. */
  scopeRequired: number
  /** `bolt.session.lease.wait.duration`'s count: calls that waited for another's refresh. */
  leaseWaits: number
  /** `bolt.session.lease.takeovers`. */
  takeovers: number
  /** `bolt.store.errors`. */
  storeErrors: number
  /** `bolt.refresh.queue.length`: refreshes waiting in line now. */
  refreshQueue: number
}

/** A reader the panel collects from when it redraws (no exporter, no interval). */
class PanelReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** The sum of a counter's (or an up-down counter's) points, or of a histogram's counts. */
function total(metric: MetricData | undefined): number {
  let sum = 0
  for (const point of metric?.dataPoints ?? []) {
    sum += typeof point.value === 'number' ? point.value : point.value.count
  }
  return sum
}

/** The meter the token manager records with, and the panel's figures read from it. */
export function createOperationsReader(): {
  meter: MeterLike
  read(states: TokenState[]): Promise<Operations>
} {
  const reader = new PanelReader()
  const provider = new MeterProvider({ readers: [reader] })
  return {
    meter: provider.getMeter('playground'),
    async read(states) {
      const { resourceMetrics } = await reader.collect()
      const metrics = new Map<string, MetricData>()
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) metrics.set(metric.descriptor.name, metric)
      }
      const refreshes: Record<string, number> = {}
      const logins: Record<string, number> = {}
      for (const point of metrics.get('bolt.oauth.token.requests')?.dataPoints ?? []) {
        const { 'bolt.oauth.grant_type': grant, 'bolt.oauth.outcome': outcome } = point.attributes
        const counts = grant === 'refresh_token' ? refreshes : logins
        counts[String(outcome)] = (counts[String(outcome)] ?? 0) + Number(point.value)
      }
      const sessionsByState = Object.fromEntries(STATES.map((state) => [state, 0])) as Record<
        TokenState,
        number
      >
      for (const state of states) sessionsByState[state] += 1
      return {
        sessionsByState,
        refreshes,
        logins,
        scopeRequired: total(metrics.get('bolt.session.scope_required')),
        leaseWaits: total(metrics.get('bolt.session.lease.wait.duration')),
        takeovers: total(metrics.get('bolt.session.lease.takeovers')),
        storeErrors: total(metrics.get('bolt.store.errors')),
        refreshQueue: total(metrics.get('bolt.refresh.queue.length')),
      }
    },
  }
}
