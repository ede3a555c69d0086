/**
 * A real OpenTelemetry SDK meter (`@opentelemetry/sdk-metrics`) whose metrics tests read back
 * through an in-memory exporter, checked on every read against the definitions in
 * src/telemetry/metrics.ts: each metric's kind and unit, each data point's attribute keys, and
 * each attribute value against what its key may hold (grants, codes, states; never an id).
 */
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { expect } from 'vitest'
import { ErrorCode } from '../../src/errors.js'
import {
  METRIC_ATTRIBUTES as A,
  METRICS,
  type MeterLike,
  type MetricDefinition,
} from '../../src/telemetry/metrics.js'

/** One data point: its attributes, and its value (a sum, or a histogram's figures). */
export interface Point {
  attributes: Record<string, unknown>
  value: number | { count: number; sum: number; min: number; max: number; boundaries: number[] }
}

/** What each attribute key may hold (docs/operations.md lists the same). */
export const ATTRIBUTE_VALUES: Record<string, readonly string[]> = {
  [A.grantType]: ['authorization_code', 'refresh_token'],
  [A.outcome]: ['ok', ...Object.values(ErrorCode)],
  [A.leaseState]: ['refresh', 'codeExchange'],
  [A.takeoverReason]: ['expired', 'outlived'],
  [A.operation]: [
    'exchangeCode',
    'getAccessToken',
    'getStatus',
    'getIdentity',
    'logout',
    'background',
  ],
}

const definitions: MetricDefinition[] = Object.values(METRICS)

/** A meter provider with an in-memory exporter, read on demand. */
export function createMetricsReader(name = 'bolt-token-lifecycle-test') {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  // Exports only when read: the interval never comes within a test.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const provider = new MeterProvider({ readers: [reader] })
  // The SDK's meter is what a merchant passes: it must fit the option's type as it is.
  const meter: MeterLike = provider.getMeter(name)
  /** Every attribute value any read returned, for leak checks. */
  const attributeValues = new Set<string>()

  /** Collects now: each metric's points by name (metrics with no point are absent). */
  async function read(): Promise<Map<string, Point[]>> {
    exporter.reset()
    await reader.forceFlush()
    const byName = new Map<string, Point[]>()
    for (const resource of exporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          const definition = definitions.find((each) => each.name === metric.descriptor.name)
          expect(
            definition,
            `a metric this library defines: ${metric.descriptor.name}`,
          ).toBeDefined()
          if (definition === undefined) continue
          expect(metric.descriptor.unit).toBe(definition.unit)
          expect(metric.descriptor.description).toBe(definition.description)
          const kind =
            metric.dataPointType === DataPointType.HISTOGRAM
              ? 'Histogram'
              : metric.dataPointType === DataPointType.SUM && metric.isMonotonic
                ? 'Counter'
                : metric.dataPointType === DataPointType.SUM
                  ? 'ObservableUpDownCounter'
                  : 'other'
          expect(kind, metric.descriptor.name).toBe(definition.instrument)
          const points: Point[] = []
          for (const point of metric.dataPoints) {
            expect(Object.keys(point.attributes).sort()).toEqual([...definition.attributes].sort())
            for (const [key, value] of Object.entries(point.attributes)) {
              expect(ATTRIBUTE_VALUES[key], `${key} is an attribute with known values`).toContain(
                value,
              )
              attributeValues.add(String(value))
            }
            const value = point.value
            points.push({
              attributes: point.attributes,
              value:
                typeof value === 'number'
                  ? value
                  : 'buckets' in value
                    ? {
                        count: value.count,
                        sum: value.sum ?? Number.NaN,
                        min: value.min ?? Number.NaN,
                        max: value.max ?? Number.NaN,
                        boundaries: value.buckets.boundaries,
                      }
                    : Number.NaN,
            })
          }
          byName.set(metric.descriptor.name, points)
        }
      }
    }
    return byName
  }

  return {
    meter,
    provider,
    read,
    attributeValues,
    shutdown: () => provider.shutdown(),
  }
}

/** Orders points by their attributes (as JSON, code unit order). */
function byAttributes(a: { attributes: unknown }, b: { attributes: unknown }): number {
  const [x, y] = [JSON.stringify(a.attributes), JSON.stringify(b.attributes)]
  return x < y ? -1 : x > y ? 1 : 0
}

/** A counter's points as `{ attributes: value }` rows, sorted, for exact comparison. */
export function sums(
  points: Point[] | undefined,
): { attributes: Record<string, unknown>; value: number }[] {
  return (points ?? [])
    .map((point) => ({ attributes: point.attributes, value: point.value as number }))
    .sort(byAttributes)
}

/** A histogram's points, sorted by attributes. */
export function histograms(points: Point[] | undefined) {
  return (points ?? [])
    .map((point) => ({
      attributes: point.attributes,
      ...(point.value as Exclude<Point['value'], number>),
    }))
    .sort(byAttributes)
}
