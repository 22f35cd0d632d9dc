/**
 * Grantline local-mode benchmarks: `npm run bench [-- --only=latency,rss] [--server=child|inproc] [--quick]`.
 * Prints a table and overwrites bench/RESULTS.md. Sections live in bench/sections (registry: index.ts).
 */
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { writeBenchCatalog } from './lib/catalog.js';
import { markdownTable, textTable, type ReportLine } from './lib/report.js';
import { profileNote } from './lib/profile.js';
import { PROJECT_ROOT, type ServerHandle, type ServerMode, setChildNodeArgs, startServer, stopAllChildren } from './lib/server.js';
import { fmt } from './lib/stats.js';
import { nowMs } from './lib/time.js';
import type { BenchContext, Section } from './lib/types.js';
import { SECTIONS } from './sections/index.js';

interface Args {
  only?: string[];
  skip: string[];
  server: ServerMode;
  quick: boolean;
  write: boolean;
  list: boolean;
  cpuProf: boolean;
}

const USAGE = `usage: npm run bench -- [--only=id,…] [--skip=id,…] [--server=child|inproc] [--quick] [--no-write] [--list]
  --only    sections to run (an id, or the part before "-": --only=expiry runs expiry-scaled and expiry-short)
  --server  child (default): each server is \`node --import tsx local/main.ts\` in its own process;
            inproc: startGrantline() in the bench process (shares the event loop with the clients)
  --quick   small counts and short runs, to check the bench itself
  --no-write  do not overwrite bench/RESULTS.md
  --cpu-prof  run child servers with --cpu-prof (bench/.profiles/<section>/) and add a self-time
            breakdown per section to the notes (profiling slows the server: numbers are not comparable)`;

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { skip: [], server: 'child', quick: false, write: true, list: false, cpuProf: false };
  for (const arg of argv) {
    const [key, value] = arg.split('=', 2) as [string, string | undefined];
    const list = () => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (key === '--only') args.only = list();
    else if (key === '--skip') args.skip = list();
    else if (key === '--server' && (value === 'child' || value === 'inproc')) args.server = value;
    else if (key === '--quick') args.quick = true;
    else if (key === '--no-write') args.write = false;
    else if (key === '--list') args.list = true;
    else if (key === '--cpu-prof') args.cpuProf = true;
    else if (key === '--help' || key === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else {
      process.stderr.write(`unknown argument ${arg}\n${USAGE}\n`);
      process.exit(2);
    }
  }
  return args;
}

const matches = (section: Section, token: string) => section.id === token || section.id.startsWith(`${token}-`);

function select(args: Args): Section[] {
  const tokens = [...(args.only ?? []), ...args.skip];
  const unknown = tokens.filter((t) => !SECTIONS.some((s) => matches(s, t)));
  if (unknown.length) {
    process.stderr.write(`unknown section(s): ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.id).join(', ')}\n`);
    process.exit(2);
  }
  return SECTIONS.filter((s) => (args.only ? args.only.some((t) => matches(s, t)) : s.defaultRun)).filter((s) => !args.skip.some((t) => matches(s, t)));
}

function commandLine(argv: readonly string[]): string {
  const base = process.env['npm_lifecycle_event'] === 'bench' ? 'npm run bench' : 'npx tsx bench/run.ts';
  return argv.length ? `${base} -- ${argv.join(' ')}` : base;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (args.list) {
    for (const s of SECTIONS) process.stdout.write(`${s.id.padEnd(16)} ${s.defaultRun ? '' : '(not in default run) '}${s.title}\n`);
    return;
  }
  const sections = select(args);
  const started = nowMs();
  const startedAt = new Date();
  const log = (m: string) => process.stderr.write(`[${((nowMs() - started) / 1000).toFixed(1).padStart(6)}s] ${m}\n`);
  const benchCatalog = writeBenchCatalog();

  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    log('SIGINT: stopping servers…');
    void stopAllChildren().finally(() => process.exit(130));
  });

  const lines: ReportLine[] = [];
  const notes: string[] = [];
  let failures = 0;
  for (const section of sections) {
    if (interrupted) break;
    const servers: ServerHandle[] = [];
    const ctx: BenchContext = {
      log,
      serverMode: args.server,
      benchCatalog,
      quick: args.quick,
      startServer: async (options = {}) => {
        const server = await startServer(args.server, options);
        servers.push(server);
        return server;
      },
    };
    const profileDir = join(PROJECT_ROOT, 'bench/.profiles', section.id);
    if (args.cpuProf) {
      rmSync(profileDir, { recursive: true, force: true });
      setChildNodeArgs(['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
    }
    const t0 = nowMs();
    log(`${section.id}: ${section.title}`);
    try {
      const result = await section.run(ctx);
      lines.push(...result.rows.map((row) => ({ section: section.id, row })));
      notes.push(...result.notes);
    } catch (err) {
      failures++;
      const message = err instanceof Error ? err.message : String(err);
      log(`${section.id} FAILED: ${err instanceof Error ? (err.stack ?? message) : message}`);
      lines.push({ section: section.id, row: { kind: 'value', metric: 'FAILED', value: message.split('\n')[0]!.slice(0, 160) } });
    } finally {
      for (const server of servers.reverse()) {
        try {
          await server.stop();
        } catch (err) {
          log(`${section.id}: stopping server ${server.pid} failed: ${String(err)}`);
        }
        // Anything the server printed besides its banner and the stop line is worth a look.
        const said = server
          .output()
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l && !/^SIGINT: stopping Grantline/.test(l));
        if (said.length) notes.push(`${section.id}: server (pid ${server.pid}) printed ${said.length} line(s), first: ${said.slice(0, 3).join(' | ').slice(0, 400)}`);
      }
    }
    if (args.cpuProf) {
      const note = profileNote(section.id, profileDir);
      if (note) notes.push(note);
    }
    log(`${section.id}: done in ${fmt((nowMs() - t0) / 1000)} s`);
  }

  const totalS = (nowMs() - started) / 1000;
  const cpu = os.cpus();
  const modeText = args.server === 'child' ? 'child process per section (`node --import tsx local/main.ts`)' : 'in-process (`startGrantline()`, shares the event loop with the clients)';
  process.stdout.write(`\n${textTable(lines)}\n`);
  if (notes.length) process.stdout.write(`\nNotes:\n${notes.map((n) => `  - ${n}`).join('\n')}\n`);
  process.stdout.write(`\n${sections.length} section(s) in ${fmt(totalS)} s; Node ${process.version}; ${cpu[0]?.model ?? 'unknown CPU'} ×${cpu.length}\n`);

  if (args.write) {
    const ran = new Set(sections.map((s) => s.id));
    const doc = [
      '# Grantline local-mode benchmarks',
      '',
      'Written by `bench/run.ts`; every run overwrites it. One run on a shared machine: read medians and ratios, not absolute timings.',
      '',
      `- Date: ${startedAt.toISOString()}`,
      `- Command: \`${commandLine(argv)}\``,
      `- Node: ${process.version} (${process.platform} ${process.arch})`,
      `- CPU: ${cpu[0]?.model ?? 'unknown'} (os.cpus(): ${cpu.length} logical CPUs)`,
      `- Servers: ${modeText}${args.cpuProf ? ' — with --cpu-prof: timings inflated by profiling' : ''}`,
      `- Sections: ${sections.map((s) => s.id).join(', ')}${args.quick ? ' (--quick: reduced counts)' : ''}; total ${fmt(totalS)} s`,
      '',
      '## Results',
      '',
      markdownTable(lines),
      '',
      'p99 is nearest-rank: with n < 100 it is the largest sample.',
      '',
      ...(notes.length ? ['## Notes', '', ...notes.map((n) => `- ${n}`), ''] : []),
      '## Method',
      '',
      ...SECTIONS.filter((s) => ran.has(s.id)).map((s) => `- **${s.id}** (${s.title}): ${s.method}`),
      '',
    ].join('\n');
    writeFileSync(join(PROJECT_ROOT, 'bench/RESULTS.md'), doc);
    log('wrote bench/RESULTS.md');
  }
  process.exitCode = failures ? 1 : 0;
}

main().catch(async (err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stopAllChildren();
  process.exit(1);
});
