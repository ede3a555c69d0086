/** Running a command and reading its output line by line, with a deadline. */
import { type SpawnOptions, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** How a command ended. */
export interface CommandResult {
  /** The exit code, or `null` when a signal ended it. */
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** Whether the deadline killed it. */
  timedOut: boolean
  /** The last lines of stderr (for failure messages). */
  stderrTail: string
}

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** SIGKILL after this long. @default 120_000 */
  timeoutMs?: number
  /** Called with each stdout line as it arrives. */
  onLine?: (line: string) => void
  /** Called with each stderr line as it arrives. @default kept for {@link CommandResult.stderrTail} only */
  onErrorLine?: (line: string) => void
}

/** Runs `command` with `args` (no shell) and resolves when it exits. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  }
  const child = spawn(command, args, spawnOptions)
  let stderrTail = ''
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, options.timeoutMs ?? 120_000)
  if (child.stdout !== null) {
    createInterface({ input: child.stdout }).on('line', (line) => options.onLine?.(line))
  }
  if (child.stderr !== null) {
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderrTail = `${stderrTail}${line}\n`.slice(-4000)
      options.onErrorLine?.(line)
    })
  }
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer)
      resolve({ exitCode, signal, timedOut, stderrTail })
    })
  })
}

/** Runs a command that must succeed, and resolves with its stdout. */
export async function commandOutput(
  command: string,
  args: readonly string[],
  options: Omit<RunCommandOptions, 'onLine'> = {},
): Promise<string> {
  const lines: string[] = []
  const result = await runCommand(command, args, { ...options, onLine: (line) => lines.push(line) })
  if (result.exitCode !== 0) {
    const output = `${lines.slice(-40).join('\n')}\n${result.stderrTail}`.trim()
    throw new Error(`${command} ${args.join(' ')} failed (${describeExit(result)}):\n${output}`)
  }
  return lines.join('\n')
}

/** `exit code 1`, `signal SIGKILL (timed out)`, … */
export function describeExit(result: CommandResult): string {
  if (result.timedOut) return 'timed out'
  return result.signal !== null ? `signal ${result.signal}` : `exit code ${result.exitCode}`
}
