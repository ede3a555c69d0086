// A child process that runs the Bolt emulator, so that its work (parsing requests, minting
// tokens) runs on its own core instead of inside the client being measured. The parent
// drives it through the emulator's HTTP control API (bench/emulator.ts).
import { startBoltEmulator } from '../src/emulator/index.js'
import { serveParent } from './child.js'
import type { EmulatorReady } from './emulator.js'

const bolt = await startBoltEmulator()
const { send } = serveParent(async () => undefined)
send({
  type: 'ready',
  url: bolt.url,
  clientId: bolt.clientId,
  clientSecret: bolt.clientSecret,
} satisfies EmulatorReady)
