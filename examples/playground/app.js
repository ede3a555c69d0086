// @ts-check
// The playground page: renders what the backend pushes over Server-Sent Events and sends
// button presses to it. No bundler and no network beyond this origin; Mermaid comes from
// /vendor/mermaid.min.js (the copy in node_modules). It never polls.

/** @typedef {{ state: string, scopes: string[], expiresInSeconds: number | null, canManage: boolean, lastError: string | null, identity: { email: string | null, emailVerified: boolean } | null, clock: number }} Status */
/** @typedef {{ sessionsByState: Record<string, number>, refreshes: Record<string, number>, logins: Record<string, number>, scopeRequired: number, leaseWaits: number, takeovers: number, storeErrors: number, refreshQueue: number }} Operations */
/** @typedef {{ kind: 'transition', from: string, to: string, event: string, at: number } | { kind: 'error', code: string, detail: string, at: number } | { kind: 'outcome', seq: number, action: string, ok: boolean, text: string, at: number }} LogEntry */

/** @type {{ initialize(config: object): void, render(id: string, text: string): Promise<{ svg: string }> }} */
const mermaid = /** @type {any} */ (globalThis).mermaid

const ACTION_LABELS = {
  login: 'Log in',
  read: 'Read account',
  write: 'Write address',
  advance: 'Advance clock',
  logout: 'Log out',
  shoppers: 'More shoppers',
}

/** The operations panel's single figures: label and the field of {@link Operations}. */
const COUNTERS = /** @type {const} */ ([
  ['SCOPE_REQUIRED', 'scopeRequired'],
  ['lease waits', 'leaseWaits'],
  ['takeovers', 'takeovers'],
  ['store errors', 'storeErrors'],
  ['refresh line', 'refreshQueue'],
])

/** @param {string} id */
function byTestId(id) {
  const element = document.querySelector(`[data-testid="${id}"]`)
  if (!(element instanceof HTMLElement)) throw new Error(`The page has no ${id}`)
  return element
}

const view = {
  diagram: byTestId('diagram'),
  state: byTestId('state'),
  scopes: byTestId('scopes'),
  expires: byTestId('expires'),
  canManage: byTestId('can-manage'),
  lastError: byTestId('last-error'),
  identity: byTestId('identity'),
  clock: byTestId('clock'),
  outcome: byTestId('outcome'),
  log: byTestId('log'),
  connection: byTestId('connection'),
  opsStates: byTestId('ops-states'),
  opsRequests: byTestId('ops-requests'),
  opsCounters: byTestId('ops-counters'),
}
const buttons = /** @type {HTMLButtonElement[]} */ ([...document.querySelectorAll('[data-action]')])

mermaid.initialize({
  startOnLoad: false,
  securityLevel: 'strict',
  theme: 'default',
  fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  // More room between ranks keeps the labels of the parallel arrows apart.
  state: { nodeSpacing: 50, rankSpacing: 160 },
})

/** @param {number} at */
function clockTime(at) {
  return new Date(at).toISOString().slice(11, 19)
}

/** @param {number | null} seconds */
function expiresText(seconds) {
  if (seconds === null) return '–'
  const minutes = Math.round(Math.abs(seconds) / 60)
  return seconds >= 0 ? `${minutes} min` : `expired ${minutes} min ago`
}

let renders = 0

/**
 * Draws the diagram first, then the label: once `data-state` changes, the SVG already
 * highlights the same state.
 *
 * @param {Status} status
 * @param {string} diagram
 */
async function showStatus(status, diagram) {
  renders += 1
  const { svg } = await mermaid.render(`machine-${renders}`, diagram)
  view.diagram.innerHTML = svg
  view.diagram.dataset.highlight = status.state
  view.state.textContent = status.state
  view.state.dataset.state = status.state
  view.scopes.textContent = status.scopes.length === 0 ? '–' : status.scopes.join(' ')
  view.expires.textContent = expiresText(status.expiresInSeconds)
  view.canManage.textContent = String(status.canManage)
  view.lastError.textContent = status.lastError ?? '–'
  view.identity.textContent =
    status.identity === null
      ? '–'
      : `${status.identity.email ?? '(no email)'}${status.identity.emailVerified ? ' (verified)' : ' (not verified)'}`
  view.clock.textContent = clockTime(status.clock)
}

/**
 * One row of an operations table: a label and a count.
 *
 * @param {string} label
 * @param {number} count
 * @param {Record<string, string>} data the row's `data-` attributes
 */
function countRow(label, count, data) {
  const row = document.createElement('tr')
  Object.assign(row.dataset, data, { zero: String(count === 0) })
  const name = document.createElement('td')
  name.textContent = label
  const figure = document.createElement('td')
  figure.className = 'count'
  figure.textContent = String(count)
  row.append(name, figure)
  return row
}

/** @param {Operations} operations */
function showOperations(operations) {
  view.opsStates.replaceChildren(
    ...Object.entries(operations.sessionsByState).map(([state, count]) =>
      countRow(state, count, { state }),
    ),
  )
  const requests = [
    ...Object.entries(operations.refreshes).map(([outcome, count]) =>
      countRow(`refresh ${outcome}`, count, { grant: 'refresh_token', outcome }),
    ),
    ...Object.entries(operations.logins).map(([outcome, count]) =>
      countRow(`login ${outcome}`, count, { grant: 'authorization_code', outcome }),
    ),
  ]
  view.opsRequests.replaceChildren(...requests)
  view.opsCounters.replaceChildren(
    ...COUNTERS.flatMap(([label, field]) => {
      const term = document.createElement('dt')
      term.textContent = label
      const figure = document.createElement('dd')
      figure.dataset.metric = field
      figure.textContent = String(operations[field])
      return [term, figure]
    }),
  )
}

/**
 * @param {string} className
 * @param {string} text
 */
function span(className, text) {
  const element = document.createElement('span')
  element.className = className
  element.textContent = text
  return element
}

/** @param {LogEntry} entry */
function appendLog(entry) {
  const item = document.createElement('li')
  item.dataset.kind = entry.kind
  const time = document.createElement('time')
  time.textContent = clockTime(entry.at)
  const line = document.createElement('span')
  if (entry.kind === 'transition') {
    item.dataset.from = entry.from
    item.dataset.to = entry.to
    item.dataset.event = entry.event
    line.append(span('what', `${entry.from} → ${entry.to}`), ' ', span('event', entry.event))
  } else if (entry.kind === 'error') {
    item.dataset.code = entry.code
    line.append(span('what', `! ${entry.code}`), ' ', span('event', entry.detail))
  } else {
    item.dataset.ok = String(entry.ok)
    line.append(span('what', `▶ ${ACTION_LABELS[entry.action] ?? entry.action}: ${entry.text}`))
    view.outcome.textContent = `${ACTION_LABELS[entry.action] ?? entry.action}: ${entry.text}`
    view.outcome.className = `outcome ${entry.ok ? 'ok' : 'refused'}`
    view.outcome.dataset.seq = String(entry.seq)
  }
  item.append(time, line)
  view.log.append(item)
  view.log.scrollTop = view.log.scrollHeight
}

/** @param {any} message */
async function handle(message) {
  if (message.type === 'snapshot') {
    view.log.replaceChildren()
    for (const entry of message.log) appendLog(entry)
    showOperations(message.operations)
    await showStatus(message.status, message.diagram)
  } else if (message.type === 'status') {
    showOperations(message.operations)
    await showStatus(message.status, message.diagram)
  } else if (message.type === 'log') {
    appendLog(message.entry)
  }
}

// One message at a time, in order, each finished (diagram drawn) before the next.
let queue = Promise.resolve()
const events = new EventSource('/events')
events.onopen = () => {
  view.connection.dataset.connected = 'true'
  view.connection.textContent = 'live'
}
events.onerror = () => {
  view.connection.dataset.connected = 'false'
  view.connection.textContent = 'reconnecting…'
}
events.onmessage = (event) => {
  const message = JSON.parse(event.data)
  queue = queue.then(() => handle(message)).catch((error) => console.error(error))
}

for (const button of buttons) {
  button.addEventListener('click', async () => {
    for (const each of buttons) each.disabled = true
    try {
      const response = await fetch(`/api/${button.dataset.action}`, {
        method: 'POST',
        headers: { 'x-playground': '1', 'content-type': 'application/json' },
        body: '{}',
      })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
    } catch (error) {
      view.outcome.textContent = `${button.textContent}: the backend failed (${error instanceof Error ? error.message : error})`
      view.outcome.className = 'outcome refused'
    } finally {
      for (const each of buttons) each.disabled = false
    }
  })
}
