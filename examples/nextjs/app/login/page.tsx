// Where the proxy sends a shopper without a live session. A real storefront opens Bolt's login
// modal here; this example leaves the modal to your page, as the other examples do.
export default function LoginPage() {
  return (
    <main>
      <h1>Log in with Bolt</h1>
      <p>
        Get a <code>state</code> from <code>GET /bolt/login-state</code>, open Bolt&apos;s login
        modal with it, then post the modal&apos;s <code>{'{ code, state }'}</code> to{' '}
        <code>/bolt/login-callback</code>.
      </p>
    </main>
  )
}
