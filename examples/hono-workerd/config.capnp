# workerd config of the Hono example. Bundle the worker first (`npx tsx examples/hono-workerd/build.ts`),
# then, against the emulator (`npx bolt-token-lifecycle emulator --port 8788`):
#   BOLT_BASE_URL=http://127.0.0.1:8788 BOLT_PUBLISHABLE_KEY=pk_emulator_publishable_key \
#   BOLT_API_KEY=sk_emulator_api_key workerd serve examples/hono-workerd/config.capnp
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .honoWorker),
    # The worker's fetches: Bolt's API, or the emulator on loopback ("local"), which workerd
    # refuses by default.
    (name = "bolt", network = (allow = ["public", "local"], tlsOptions = (trustBrowserCas = true))),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const honoWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "dist/worker.js")],
  compatibilityDate = "2026-11-01",
  bindings = [
    (name = "BOLT_PUBLISHABLE_KEY", fromEnvironment = "BOLT_PUBLISHABLE_KEY"),
    (name = "BOLT_API_KEY", fromEnvironment = "BOLT_API_KEY"),
    (name = "BOLT_BASE_URL", fromEnvironment = "BOLT_BASE_URL"),
  ],
  globalOutbound = "bolt",
);
