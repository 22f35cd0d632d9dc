import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt } from './stats.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a frame's code lives: an npm package, a project directory, Node itself, or a V8 pseudo-frame. */
export function bucketOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url.split('/').slice(0, url.startsWith('node:internal/') ? 2 : 1).join('/');
  const project = /\/(functions|local|statemachines|bench)\/([^/]+)/.exec(url);
  if (project) return `${project[1]}/${project[2]!.replace(/\.[jt]s$/, '')}`;
  return url.split('/').slice(-2).join('/');
}

/** Coarser groups of buckets, to say where time goes. First match wins. */
const CATEGORIES: readonly [string, RegExp][] = [
  ['AWS SDK (DynamoDB client side)', /^@(aws-sdk|smithy|aws-crypto)\//],
  ['dynalite + LevelDB (DynamoDB server side)', /^(dynalite|.*level.*|functional-red-black-tree|async|lazy|big\.js|once|lock)$/],
  [
    'module loading, catalog + ASL validation (start-up)',
    /^(tsx|asl-validator|ajv|fast-uri|json-schema-traverse|yaml|node:internal\/(modules|deps|bootstrap|url|source_map|worker)|\(native\) (openFileHandle|fstat|close|internalModuleStat|readFileUtf8|set natives|postMessage|receiveMessageOnPort|compileFunction|parse))$/,
  ],
  ['HTTP, sockets, streams, events', /^(node:(_http_\w+|http|net|events|buffer|stream|internal\/(streams|http|net|stream_base_commons|event_target|buffer))|\(native\) (writev|writeBuffer|utf8Write|writeUtf8String|writeLatin1String|onStreamRead))$/],
  ['crypto (SigV4, audit hashes, ids)', /^node:internal\/crypto$/],
  ['garbage collector', /^\(garbage collector\)$/],
  ['Step Functions interpreter', /^(aws-local-stepfunctions|jsonpath-plus|local\/sfn)$/],
  ['Grantline code (functions/, local/)', /^(functions|local|statemachines)\//],
  ['validation + logging (zod, middy, powertools)', /^(zod|@middy\/.*|@aws-lambda-powertools\/.*)$/],
  ['promise/timer plumbing', /^(\(native\) runMicrotasks|node:timers|node:internal\/(timers|process))$/],
];

export function categoryOf(bucket: string): string {
  return CATEGORIES.find(([, re]) => re.test(bucket))?.[0] ?? 'other';
}

/** Self time per bucket over every .cpuprofile in `dir`, largest first, idle excluded. */
export function summarizeProfiles(
  dir: string,
  top = 8,
): { totalMs: number; buckets: { bucket: string; ms: number; share: number }[]; categories: { category: string; ms: number; share: number }[] } | undefined {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return undefined;
  }
  if (files.length === 0) return undefined;
  const self = new Map<string, number>();
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const bucketById = new Map(profile.nodes.map((n) => [n.id, bucketOf(n.callFrame.url, n.callFrame.functionName)]));
    profile.samples.forEach((id, i) => {
      const bucket = bucketById.get(id) ?? '?';
      self.set(bucket, (self.get(bucket) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    });
  }
  self.delete('(idle)');
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0);
  const buckets = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([bucket, ms]) => ({ bucket, ms, share: ms / totalMs }));
  const byCategory = new Map<string, number>();
  for (const [bucket, ms] of self) byCategory.set(categoryOf(bucket), (byCategory.get(categoryOf(bucket)) ?? 0) + ms);
  const categories = [...byCategory.entries()].sort((a, b) => b[1] - a[1]).map(([category, ms]) => ({ category, ms, share: ms / totalMs }));
  return { totalMs, buckets, categories };
}

export function profileNote(label: string, dir: string): string | undefined {
  const summary = summarizeProfiles(dir);
  if (!summary) return undefined;
  const pct = (share: number) => `${fmt(share * 100, 2)}%`;
  return (
    `${label}: server CPU profile (${fmt(summary.totalMs / 1000)} s of samples, all threads, start-up included, idle excluded), self time by group: ` +
    summary.categories.map((c) => `${c.category} ${pct(c.share)}`).join(', ') +
    `; top locations: ${summary.buckets.map((b) => `${b.bucket} ${pct(b.share)}`).join(', ')}`
  );
}
