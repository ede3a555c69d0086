/**
 * Records in the form 0.2.0 wrote and read (`enc1`: AES-GCM with the session id as its
 * associated data), made and opened as that version did, for the upgrade tests.
 */
/** Opens an `enc1` record as 0.2.0 did (AES-GCM with the session id as its data), or throws. */
export async function openAsEnc1(stored: string, sessionId: string, key: string): Promise<string> {
  const [prefix, , iv = '', sealed = ''] = stored.split('.')
  if (prefix !== 'enc1') throw new Error(`0.2.0 reads enc1 only, not ${prefix}`)
  const imported = await crypto.subtle.importKey(
    'raw',
    Buffer.from(key, 'base64'),
    'AES-GCM',
    false,
    ['decrypt'],
  )
  const opened = await crypto.subtle.decrypt(
    {
      name: 'AES-GCM',
      iv: Buffer.from(iv, 'base64url'),
      additionalData: new TextEncoder().encode(`bolt-token-lifecycle:${sessionId}`),
    },
    imported,
    Buffer.from(sealed, 'base64url'),
  )
  return new TextDecoder().decode(opened)
}

/** A record sealed as versions before `enc2` did: AES-GCM with the session id as its data. */
export async function sealAsEnc1(plaintext: string, sessionId: string, keyId: string, key: string) {
  const imported = await crypto.subtle.importKey(
    'raw',
    Buffer.from(key, 'base64'),
    'AES-GCM',
    false,
    ['encrypt'],
  )
  const iv = crypto.getRandomValues(new Uint8Array(12))
  const sealed = await crypto.subtle.encrypt(
    {
      name: 'AES-GCM',
      iv,
      additionalData: new TextEncoder().encode(`bolt-token-lifecycle:${sessionId}`),
    },
    imported,
    new TextEncoder().encode(plaintext),
  )
  const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
  return `enc1.${keyId}.${text(iv)}.${text(new Uint8Array(sealed))}`
}
