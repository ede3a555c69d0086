// The REST test server speaks Upstash's documented protocol (checked here with plain fetch,
// the way the docs' curl examples do it), so the Upstash store's tests run the real client.
import { expect, it } from 'vitest'
import { describeRedis, randomPrefix } from './redis.js'
import { useUpstashServer } from './upstash.js'

describeRedis('Upstash REST test server', () => {
  const server = useUpstashServer()
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server().url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server().token}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
    return { status: response.status, body: await response.json() }
  }

  it('runs one command per POST: {result}, or {error} with 400; base64 on request', async () => {
    const key = `${randomPrefix()}k`
    expect(await post('/', ['SET', key, 'vé', 'PX', 60_000])).toEqual({
      status: 200,
      body: { result: 'OK' },
    })
    expect(await post('/', ['GET', key])).toEqual({ status: 200, body: { result: 'vé' } })
    expect(await post('/', ['GET', key], { 'upstash-encoding': 'base64' })).toEqual({
      status: 200,
      body: { result: Buffer.from('vé').toString('base64') },
    })
    expect(await post('/', ['GET', `${key}:none`])).toEqual({ status: 200, body: { result: null } })
    expect(await post('/', ['INCR', key])).toEqual({
      status: 400,
      body: { error: 'ERR value is not an integer or out of range' },
    })
  })

  it('runs a pipeline and a transaction: one answer per command, errors in place', async () => {
    const key = `${randomPrefix()}k`
    const commands = [
      ['SET', key, 'x'],
      ['INCR', key],
      ['MGET', key, `${key}:none`],
    ]
    expect(await post('/pipeline', commands, { 'upstash-encoding': 'base64' })).toEqual({
      status: 200,
      body: [
        { result: 'OK' },
        { error: 'ERR value is not an integer or out of range' },
        { result: [Buffer.from('x').toString('base64'), null] },
      ],
    })
    expect(
      await post('/multi-exec', [
        ['SET', key, '1'],
        ['INCR', key],
      ]),
    ).toEqual({ status: 200, body: [{ result: 'OK' }, { result: 2 }] })
  })

  it('refuses requests without the bearer token (401), unknown routes, methods, bodies and commands', async () => {
    const unauthorized = {
      status: 401,
      body: { error: 'Unauthorized: missing or invalid bearer token' },
    }
    const url = server().url
    const noToken = await fetch(url, { method: 'POST', body: '["PING"]' })
    expect({ status: noToken.status, body: await noToken.json() }).toEqual(unauthorized)
    expect(await post('/', ['PING'], { authorization: 'Bearer wrong' })).toEqual(unauthorized)
    const query = await fetch(`${url}/?_token=${server().token}`, {
      method: 'POST',
      body: '["PING"]',
    })
    expect(await query.json()).toEqual({ result: 'PONG' })

    expect((await post('/nowhere', ['PING'])).status).toBe(404)
    expect((await post('/', 'not json')).status).toBe(400)
    expect(await post('/', ['SUBSCRIBE', 'channel'])).toEqual({
      status: 400,
      body: { error: 'ERR SUBSCRIBE is not supported over REST by this test server' },
    })
    const get = await fetch(url, { headers: { authorization: `Bearer ${server().token}` } })
    expect(get.status).toBe(405)
  })
})
