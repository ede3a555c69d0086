# workerd config of the Hono example with its tokens in Durable Objects (worker-durable-objects.ts).
# Bundle it first (`npx tsx examples/hono-workerd/build.ts durable-objects`), then run it as
# ./config.capnp says, with this file. Objects are kept in memory here; `localDisk` keeps them.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .honoWorker),
    (name = "bolt", network = (allow = ["public", "local"], tlsOptions = (trustBrowserCas = true))),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const honoWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "dist/worker-durable-objects.js")],
  compatibilityDate = "2026-11-01",
  durableObjectNamespaces = [
    (className = "BoltSessionObject", uniqueKey = "bolt-hono-example-sessions", enableSql = true),
  ],
  durableObjectStorage = (inMemory = void),
  bindings = [
    (name = "BOLT_PUBLISHABLE_KEY", fromEnvironment = "BOLT_PUBLISHABLE_KEY"),
    (name = "BOLT_API_KEY", fromEnvironment = "BOLT_API_KEY"),
    (name = "BOLT_BASE_URL", fromEnvironment = "BOLT_BASE_URL"),
    (name = "BOLT_SESSIONS", durableObjectNamespace = "BoltSessionObject"),
  ],
  globalOutbound = "bolt",
);
