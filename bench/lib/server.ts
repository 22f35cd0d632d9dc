import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalGrantline, LocalOptions } from '../../local/runtime.js';
import { GrantlineApi } from './api.js';
import { nowMs } from './time.js';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type ServerMode = 'child' | 'inproc';

export interface ServerOptions {
  /** GRANTLINE_TIME_SCALE; default 1. */
  readonly scale?: number;
  /** Catalog file; default catalog/example.yaml. */
  readonly catalog?: string;
  /** Where the server runs; default the run's --server mode. */
  readonly mode?: ServerMode;
  /** In-process only: options of the simulated IAM account (throttle, latency). */
  readonly iam?: LocalOptions['iam'];
  /** Extra environment for a child server. */
  readonly env?: Record<string, string>;
}

export interface MemoryInfo {
  /** Resident set size now, KiB. */
  readonly rssKb: number;
  /** Peak resident set size, KiB. */
  readonly hwmKb: number;
}

export interface StopInfo {
  readonly ms: number;
  readonly exitCode: number | null;
  readonly signal: string | null;
}

/** One running local Grantline, in a child process or in this one. */
export interface ServerHandle {
  readonly mode: ServerMode;
  readonly url: string;
  /** The server's process id (this process for in-process servers). */
  readonly pid: number;
  readonly scale: number;
  readonly api: GrantlineApi;
  /** Milliseconds from spawn (or start call) to the server answering. */
  readonly startMs: number;
  /** Only for in-process servers: direct access to the clock, IAM account, Step Functions… */
  readonly local?: LocalGrantline;
  /** CPU time (user + system) of the server's process, ms. In-process this includes the bench itself. */
  cpuMs(): number;
  memory(): MemoryInfo;
  /** SimulatedIamAccount.calls; in-process only. */
  iamCalls(): ReadonlyMap<string, number> | undefined;
  /** What a child server wrote after its start-up banner (last 8 kB; warnings, errors). */
  output(): string;
  stop(): Promise<StopInfo>;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a process from /proc/<pid>/stat, ms (10 ms resolution on most kernels). */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
}

/** VmRSS and VmHWM of a process from /proc/<pid>/status. */
export function procMemory(pid: number): MemoryInfo {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

/** Extra Node options for child servers (run.ts sets --cpu-prof here). */
let childNodeArgs: string[] = [];
export function setChildNodeArgs(args: readonly string[]): void {
  childNodeArgs = [...args];
}

/** Children still running, so an error or Ctrl-C never leaves a server behind. */
const liveChildren = new Set<ChildProcess>();
let inprocRunning = false;

process.once('exit', () => {
  for (const child of liveChildren) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

/** SIGINTs every child server this process started and waits for them (used on Ctrl-C). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...liveChildren].map((child) => stopChild(child)));
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<StopInfo> {
  const started = nowMs();
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const killed = await Promise.race([
      exited(child).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (killed) {
      child.kill('SIGKILL');
      await exited(child);
    }
  }
  liveChildren.delete(child);
  return { ms: nowMs() - started, exitCode: child.exitCode, signal: child.signalCode };
}

/**
 * `node --import tsx local/main.ts` with PORT=0, exactly what `npm start` runs minus the npm and tsx
 * wrappers, so the pid is the server's own. The URL comes from its start-up banner.
 */
export async function startChildServer(options: ServerOptions = {}): Promise<ServerHandle> {
  const scale = options.scale ?? 1;
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: '0',
    GRANTLINE_TIME_SCALE: String(scale),
    GRANTLINE_DATA_DIR: undefined,
    GRANTLINE_CATALOG: options.catalog ? resolve(options.catalog) : undefined,
    ...options.env,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const started = nowMs();
  const child = spawn(process.execPath, [...childNodeArgs, '--import', 'tsx', join(PROJECT_ROOT, 'local/main.ts')], {
    cwd: PROJECT_ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(child);
  let output = '';
  let bannerEnd = 0;
  let after = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8000);
    if (bannerEnd > 0) after = (after + chunk.toString('utf8')).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  try {
    const url = await new Promise<string>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start within 60 s:\n${output}`)), 60_000);
      const onData = () => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          bannerEnd = output.length;
          resolvePromise(m[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code ?? signal}) before listening:\n${output}`));
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const api = new GrantlineApi(url);
    const pid = child.pid!;
    return {
      mode: 'child',
      url,
      pid,
      scale,
      api,
      startMs: nowMs() - started,
      cpuMs: () => procCpuMs(pid),
      memory: () => procMemory(pid),
      iamCalls: () => undefined,
      output: () => after,
      stop: async () => {
        api.close();
        return stopChild(child);
      },
    };
  } catch (err) {
    await stopChild(child, 5_000);
    throw err;
  }
}

/**
 * startGrantline() in this process. It configures process-wide state (env, SDK clients, deps), so
 * only one can run at a time. Client and server then share one event loop.
 */
export async function startInProcessServer(options: ServerOptions = {}): Promise<ServerHandle> {
  if (inprocRunning) throw new Error('an in-process Grantline is already running; stop it first');
  inprocRunning = true;
  try {
    const scale = options.scale ?? 1;
    const started = nowMs();
    const { startGrantline } = await import('../../local/runtime.js');
    const local = await startGrantline({
      port: 0,
      timeScale: scale,
      ...(options.catalog ? { catalogFile: resolve(options.catalog) } : {}),
      ...(options.iam ? { iam: options.iam } : {}),
    });
    const api = new GrantlineApi(local.url);
    let stopped: Promise<StopInfo> | undefined;
    return {
      mode: 'inproc',
      url: local.url,
      pid: process.pid,
      scale,
      api,
      startMs: nowMs() - started,
      local,
      cpuMs: () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
      },
      memory: () => procMemory(process.pid),
      iamCalls: () => local.iam.calls,
      output: () => '',
      stop: () =>
        (stopped ??= (async () => {
          const t = nowMs();
          api.close();
          try {
            await local.stop();
          } finally {
            inprocRunning = false;
          }
          return { ms: nowMs() - t, exitCode: null, signal: null };
        })()),
    };
  } catch (err) {
    inprocRunning = false;
    throw err;
  }
}

export function startServer(mode: ServerMode, options: ServerOptions): Promise<ServerHandle> {
  return (options.mode ?? mode) === 'child' ? startChildServer(options) : startInProcessServer(options);
}
