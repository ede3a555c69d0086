import { bolt } from '@/lib/bolt'

// A readiness probe: the store and Bolt's token endpoint answer (no grant is spent).
export async function GET(): Promise<Response> {
  const { tokens } = await bolt()
  const report = await tokens.checkHealth()
  return Response.json(report, {
    status: report.ok ? 200 : 503,
    headers: { 'cache-control': 'no-store' },
  })
}
