/**
 * The metrics a section reports, and the targets they are judged against.
 *
 * @module
 */

/** One measured number, as written to `bench/results.json`. */
export interface Metric {
  /** `null` when it was not measured (the note says why). */
  value: number | null
  unit: string
  note: string
}

/** Metrics by name (`memory.hit.ops`, …). */
export type Metrics = Record<string, Metric>

/** A measured metric. */
export function measured(value: number, unit: string, note: string): Metric {
  return { value, unit, note }
}

/** A metric that could not be measured in this run. */
export function notMeasured(unit: string, why: string): Metric {
  return { value: null, unit, note: `not measured: ${why}` }
}

/**
 * Whether a target was met; `n/a` when a metric it needs was not measured; `-` for the
 * reference metrics that have no target of their own.
 */
export type Verdict = 'PASS' | 'MISS' | 'n/a' | '-'

/** A target from the issue, judged on the metrics of one run. */
export interface Target {
  /** The metric the target is about. */
  metric: string
  /** The target as written in the table, e.g. `≥ 0.9 × redis.raw-get.ops`. */
  text: string
  /** Judges the run. */
  judge(metrics: Metrics): Verdict
}

function metricOf(metrics: Metrics, name: string): number | null {
  return metrics[name]?.value ?? null
}

/** A target on one metric's value, compared with a bound (a number or the value of another metric). */
export function bound(
  metric: string,
  op: '≥' | '≤' | '=',
  limit: number | ((metrics: Metrics) => number | null),
  text: string,
): Target {
  return {
    metric,
    text,
    judge(metrics) {
      const value = metricOf(metrics, metric)
      const against = typeof limit === 'number' ? limit : limit(metrics)
      if (value === null || against === null || Number.isNaN(value) || Number.isNaN(against))
        return 'n/a'
      const met = op === '≥' ? value >= against : op === '≤' ? value <= against : value === against
      return met ? 'PASS' : 'MISS'
    },
  }
}

/**
 * A target on `metric` judged by the same-run ratio metric `ratioMetric` (the median of
 * per-round ratios), which is steadier on a noisy machine than a ratio of two medians.
 */
export function ratioAtLeast(
  metric: string,
  ratioMetric: string,
  min: number,
  text: string,
): Target {
  const judged = bound(ratioMetric, '≥', min, text)
  return { metric, text, judge: judged.judge }
}

/** A reference metric: listed with the targets, judged by nothing. */
export function reference(metric: string, text = ''): Target {
  return { metric, text, judge: () => '-' }
}

/** The value of metric `name`, for targets bound to another metric. */
export function metricValue(name: string): (metrics: Metrics) => number | null {
  return (metrics) => metricOf(metrics, name)
}
