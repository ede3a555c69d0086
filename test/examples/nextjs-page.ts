/**
 * Reads the server-rendered HTML of examples/nextjs's page, and posts its form as a browser
 * without JavaScript does (multipart, with the hidden fields React renders for the server
 * action), for nextjs.test.ts.
 */
import type { BrowserAnswer } from '../support/cookie-browser.js'

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#x27;': "'",
  '&#39;': "'",
}

/** The text of an HTML fragment: React's `<!-- -->` separators removed, entities decoded. */
function textOf(html: string): string {
  return html
    .replaceAll('<!-- -->', '')
    .replace(/&(?:amp|lt|gt|quot|#x27|#39);/g, (entity) => ENTITIES[entity] ?? entity)
}

/** What the shopper's page shows. */
export interface ShopperPage {
  /** The verified identity line, or null when the page shows none. */
  identity: string | null
  canManage: boolean | null
  /** The address list, one `street, city` per address. */
  addresses: string[]
  /** What the address form says after a submission, or null. */
  formMessage: string | null
}

/** Reads the page's HTML (not the RSC payload that follows it). */
export function readPage(html: string): ShopperPage {
  const identity = /<p data-identity="">([\s\S]*?)<\/p>/.exec(html)?.[1]
  const canManage = /data-can-manage="(true|false)"/.exec(html)?.[1]
  const message = /<p role="(?:status|alert)"[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1]
  return {
    identity: identity === undefined ? null : textOf(identity),
    canManage: canManage === undefined ? null : canManage === 'true',
    addresses: [...html.matchAll(/<li>([\s\S]*?)<\/li>/g)].map(([, item = '']) => textOf(item)),
    formMessage: message === undefined ? null : textOf(message),
  }
}

/**
 * Posts the page's form (its hidden fields, then `fields`) to `path` on `baseUrl`, with the
 * jar's cookies and the page's `Origin`, as a browser does; does not follow a redirect.
 */
export async function submitForm(
  baseUrl: string,
  jar: Map<string, string>,
  html: string,
  fields: Record<string, string>,
  path = '/',
): Promise<BrowserAnswer> {
  const form = new FormData()
  for (const [, name = '', value = ''] of html.matchAll(
    /<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?\/>/g,
  )) {
    form.append(textOf(name), textOf(value))
  }
  if ([...form.keys()].length === 0) throw new Error('no server action form on the page')
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { cookie, origin: baseUrl },
    body: form,
    redirect: 'manual',
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, text, json: text, setCookie: [] }
}
