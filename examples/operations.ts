/**
 * docs/operations.md, runnable: `npx tsx examples/operations.ts`. The token manager's
 * OpenTelemetry metrics and its health check against the built-in Bolt emulator: a login, an
 * hour later a refresh, then what the meter holds and what `checkHealth()` answers.
 */
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { createTokenManager, type HealthReport } from 'bolt-token-lifecycle'
import { emulatorManagerOptions, startBoltEmulator } from 'bolt-token-lifecycle/emulator'

/** One line per data point: `name{attribute="value",…} value` (a histogram: its count). */
function describePoint(name: string, point: DataPoint<number | Histogram>): string {
  const attributes = Object.entries(point.attributes)
    .map(([key, value]) => `${key}="${value}"`)
    .join(',')
  const value = typeof point.value === 'number' ? `${point.value}` : `count=${point.value.count}`
  return `${name}${attributes === '' ? '' : `{${attributes}}`} ${value}`
}

export async function operations(): Promise<{ metrics: string[]; health: HealthReport }> {
  // Your OpenTelemetry setup; here the SDK's meter provider, exporting to memory.
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 })
  const provider = new MeterProvider({ readers: [reader] })

  const bolt = await startBoltEmulator() // stands in for https://api.bolt.com
  const tokens = createTokenManager({
    ...emulatorManagerOptions(bolt),
    // Without this option: the global meter of @opentelemetry/api, when it is installed.
    meter: provider.getMeter('my-shop'),
  })
  await tokens.exchangeCode('session-123', { code: bolt.login().code })
  bolt.advanceClock(61 * 60_000) // an hour later, the token has expired
  await tokens.getAccessToken('session-123') // so this refreshes it

  // A readiness probe's check: the store answers, and Bolt's token endpoint is reachable.
  const health = await tokens.checkHealth()

  await reader.forceFlush()
  const lines: string[] = []
  for (const exported of exporter.getMetrics()) {
    for (const scope of exported.scopeMetrics) {
      for (const metric of scope.metrics) {
        for (const point of metric.dataPoints as DataPoint<number | Histogram>[]) {
          lines.push(describePoint(metric.descriptor.name, point))
        }
      }
    }
  }
  await provider.shutdown()
  await bolt.close()
  return { metrics: lines, health }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { metrics, health } = await operations()
  for (const line of metrics) console.log(line)
  console.log(JSON.stringify(health, null, 2))
}
