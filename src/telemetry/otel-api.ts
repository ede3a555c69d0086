/**
 * Loads `@opentelemetry/api`, the optional peer behind the global tracer and meter, without a
 * hard import: the core runs without it, and bundles do not pull it in.
 *
 * @module
 */

/** The parts of `@opentelemetry/api` this library reads. */
export interface OpenTelemetryApi {
  trace?: { getTracer(name: string): unknown }
  metrics?: { getMeter(name: string): unknown }
}

// A variable specifier: bundlers leave the optional peer alone, and runtimes without it
// simply fail this import, which means "no OpenTelemetry".
const OTEL_API = '@opentelemetry/api'
let loaded: Promise<OpenTelemetryApi | undefined> | undefined

/** The installed `@opentelemetry/api`, or `undefined` when it is not installed (imported once). */
export function loadOpenTelemetryApi(): Promise<OpenTelemetryApi | undefined> {
  loaded ??= import(/* @vite-ignore */ OTEL_API).then(
    (api: OpenTelemetryApi) => api,
    () => undefined,
  )
  return loaded
}
