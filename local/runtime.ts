import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MemoryNotifier } from '../functions/access/adapters/sns.js';
import { secondsUntil } from '../functions/access/domain/lifecycle.js';
import type { AccessRequest, Status } from '../functions/access/domain/types.js';
import { revokeAccess, expireApproval } from '../functions/access/use-cases/workflow-steps.js';
import { loadCatalogFile } from '../functions/catalog/loader.js';
import { setCatalog } from '../functions/shared/catalog.js';
import { awsClients, resetAwsClients } from '../functions/shared/clients.js';
import { grantlineDeps, overrideDeps } from '../functions/shared/deps.js';
import { logger } from '../functions/shared/logger.js';
import { lifecycleSettings, overrideLifecycleSettings } from '../functions/lifecycle/settings.js';
import { overrideMonitoring } from '../functions/monitoring/settings.js';
import type { Routes } from '../functions/shared/middleware/router.js';
import { ACCESS_REQUEST_ASL, ACCESS_REQUEST_TASKS } from '../statemachines/access-request.js';
import { ScaledClock } from './clock.js';
import { ensureTables, startDynalite, tableDefinitions, type LocalDynamo } from './dynamo.js';
import { startHttpServer, type LocalHttpServer, type LocalRoute } from './http-server.js';
import { type IamLimits, SimulatedIamAccount, attachSimulatedIam } from './iam/index.js';
import { LocalStepFunctions, attachLocalStepFunctions } from './sfn/index.js';
import { localRoutes } from './local-routes.js';
import { cloudTrailEventFor, LOCAL_GRANTLINE_ROLE } from './cloudtrail.js';
import { importHandler, lambdaContext, LOCAL_ACCOUNT, LOCAL_REGION, PROJECT_ROOT, settleInflight, track } from './lambda.js';
import { LocalMonitoring } from './monitoring.js';

export { LOCAL_ACCOUNT, LOCAL_REGION, PROJECT_ROOT };
export const STATE_MACHINE_ARN = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:grantline-access-request`;

export interface LocalOptions {
  /** 0 picks a free port. */
  readonly port?: number;
  readonly catalogFile?: string;
  readonly dataDir?: string;
  readonly timeScale?: number;
  readonly iamSeedFile?: string;
  /** Options for the simulated IAM account (tests and benchmarks throttle it). */
  readonly iam?: { readonly throttle?: { readonly tps: number; readonly burst?: number }; readonly latencyMs?: number; readonly limits?: Partial<IamLimits> };
  /** Run the sweeper (every 5 min) and the review (daily) on their time-scaled schedules; default true. */
  readonly schedules?: boolean;
  /** What the anomaly function does with an untracked IAM change: alert (default, or ANOMALY_MODE) or revert. */
  readonly anomalyMode?: 'alert' | 'revert';
}

export interface LocalGrantline {
  readonly url: string;
  readonly port: number;
  readonly clock: ScaledClock;
  readonly iam: SimulatedIamAccount;
  readonly stepFunctions: LocalStepFunctions;
  readonly notifications: MemoryNotifier;
  readonly alerts: MemoryNotifier;
  /** The event buses, rules and schedules of the monitoring and lifecycle functions. */
  readonly monitoring: LocalMonitoring;
  readonly catalogVersion: string;
  readonly resumed: { revoked: string[]; expired: string[]; rearmed: string[] };
  stop(): Promise<void>;
}

const SeedFile = z
  .object({
    groups: z.record(z.string(), z.object({ attachedPolicies: z.array(z.string()).default([]) }).strict()).default({}),
    users: z.record(z.string(), z.object({ attachedPolicies: z.array(z.string()).default([]), groups: z.array(z.string()).default([]) }).strict()).default({}),
    roles: z.record(z.string(), z.object({ attachedPolicies: z.array(z.string()).default([]) }).strict()).default({}),
  })
  .strict();

/** Users and roles named in the catalog exist; the seed file adds groups and standing policies. */
function seedAccount(account: SimulatedIamAccount, catalogMembers: string[], seedFile: string): void {
  for (const arn of catalogMembers) {
    const m = /^arn:aws:iam::\d{12}:(user|role)\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
    if (!m) continue;
    if (m[1] === 'user') account.ensureUser(m[2]!);
    else account.ensureRole(m[2]!);
  }
  if (!existsSync(seedFile)) return;
  const seed = SeedFile.parse(parseYaml(readFileSync(seedFile, 'utf8')) ?? {});
  for (const [name, group] of Object.entries(seed.groups)) {
    account.ensureGroup(name);
    for (const arn of group.attachedPolicies) account.attachPolicy('group', name, arn);
  }
  for (const [name, user] of Object.entries(seed.users)) {
    account.ensureUser(name);
    for (const arn of user.attachedPolicies) account.attachPolicy('user', name, arn);
    for (const g of user.groups) account.addUserToGroup(name, g);
  }
  for (const [name, role] of Object.entries(seed.roles)) {
    account.ensureRole(name);
    for (const arn of role.attachedPolicies) account.attachPolicy('role', name, arn);
  }
}

/** The API's functions: handler entry, the export listing its routes, function name (infra/api-routes.ts). */
const API_FUNCTIONS: readonly (readonly [string, string, string, number])[] = [
  ['functions/access/handlers/api.ts', 'accessRoutes', 'grantline-api', 29_000],
  ['functions/monitoring/handlers/monitoring.api.ts', 'monitoringRoutes', 'grantline-monitoring-api', 29_000],
  ['functions/lifecycle/handlers/lifecycle.api.ts', 'lifecycleRoutes', 'grantline-lifecycle-api', 15 * 60_000],
];

const pathToFileUrl = (entry: string) => pathToFileURL(join(PROJECT_ROOT, entry)).href;

/**
 * Starts Grantline on this machine: dynalite, the simulated IAM account, the local Step Functions
 * runtime executing statemachines/access-request.asl.json, and the HTTP API on 127.0.0.1.
 */
export async function startGrantline(options: LocalOptions = {}): Promise<LocalGrantline> {
  const timeScale = options.timeScale ?? 1;
  const catalogFile = resolve(options.catalogFile ?? join(PROJECT_ROOT, 'catalog/example.yaml'));
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  const clock = ScaledClock.start(timeScale, dataDir);
  const loaded = loadCatalogFile(catalogFile);

  const dynamo: LocalDynamo = await startDynalite(dataDir ? join(dataDir, 'dynamodb') : undefined);
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: process.env['AWS_ACCESS_KEY_ID'] ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env['AWS_SECRET_ACCESS_KEY'] ?? 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_EC2_METADATA_DISABLED: 'true',
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    AUDIT_TABLE_NAME: 'grantline-audit',
    REQUESTS_TABLE_NAME: 'grantline-requests',
    STATE_MACHINE_ARN,
    GRANTLINE_CATALOG_FILE: catalogFile,
    EVENT_BUS_NAME: 'grantline',
    GRANTLINE_ROLE_ARNS: LOCAL_GRANTLINE_ROLE,
    ANOMALY_MODE: options.anomalyMode ?? process.env['ANOMALY_MODE'] ?? 'alert',
    POWERTOOLS_LOG_LEVEL: process.env['POWERTOOLS_LOG_LEVEL'] ?? 'ERROR',
  });

  // The logger was built when the handler modules were first imported, possibly before the line above.
  logger.setLogLevel(process.env['POWERTOOLS_LOG_LEVEL'] as Parameters<typeof logger.setLogLevel>[0]);
  resetAwsClients();
  overrideDeps(undefined);
  overrideMonitoring(undefined);
  overrideLifecycleSettings(undefined);
  const clients = awsClients();
  await ensureTables(clients.ddb, tableDefinitions('grantline-audit', 'grantline-requests'));

  const iamFile = dataDir ? join(dataDir, 'iam.json') : undefined;
  // IAM's rate limit runs on local time too: 10 TPS at scale 60 lets 600 calls through per real second.
  const throttle = options.iam?.throttle ? { now: () => clock.now().getTime(), ...options.iam.throttle } : undefined;
  const iamOptions = { clock: () => clock.now(), ...options.iam, ...(throttle ? { throttle } : {}) };
  const account = iamFile && existsSync(iamFile)
    ? SimulatedIamAccount.fromJSON(JSON.parse(readFileSync(iamFile, 'utf8')), iamOptions)
    : new SimulatedIamAccount({ accountId: LOCAL_ACCOUNT, ...iamOptions });
  if (!iamFile || !existsSync(iamFile)) {
    const members = Object.values(loaded.catalog.groups).flat();
    seedAccount(account, members, options.iamSeedFile ?? join(PROJECT_ROOT, 'local/iam-seed.yaml'));
  }
  if (iamFile) account.persistTo(iamFile);
  // Every change Grantline makes in IAM reaches the default bus as CloudTrail would deliver it.
  let monitoring: LocalMonitoring | undefined;
  attachSimulatedIam(clients.iam, account, { onChange: (change) => monitoring?.defaultBus.put(cloudTrailEventFor(change)) });

  const notifications = new MemoryNotifier();
  const alerts = new MemoryNotifier();
  setCatalog({ catalog: loaded.catalog, version: loaded.version });
  overrideDeps(undefined);
  overrideDeps({ clock: () => clock.now(), notifier: notifications, alerts });
  monitoring = await LocalMonitoring.start({ clock, stateMachineArn: STATE_MACHINE_ARN, schedules: options.schedules ?? true });
  overrideDeps({ audit: monitoring.auditFeed(grantlineDeps().audit) });
  overrideMonitoring({ events: monitoring.publisher() });
  // Backoff and pacing of bulk revokes wait in local time as well.
  const scaledSleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms / timeScale));
  overrideLifecycleSettings({ bulk: { ...lifecycleSettings().bulk, sleep: scaledSleep } });

  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const task of ACCESS_REQUEST_TASKS) {
    const handler = await importHandler(task.entry);
    handlers[task.state] = (input) => track(handler(input, lambdaContext(task.state)));
  }
  const asl = readFileSync(join(PROJECT_ROOT, 'statemachines', ACCESS_REQUEST_ASL), 'utf8').replace(
    /\$\{(\w+)\}/g,
    (_, key: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:grantline-${key.replace(/FunctionArn$/, '')}`,
  );
  const stepFunctions = new LocalStepFunctions({
    definitions: { [STATE_MACHINE_ARN]: { definition: asl, handlers } },
    timeScale,
    now: () => clock.now(),
  });
  attachLocalStepFunctions(clients.sfn, stepFunctions);
  stepFunctions.onExecutionEnd((e) => monitoring!.executionEnded(e));

  const resumed = await resume(stepFunctions, clock);

  const apiRoutes: LocalRoute[] = [];
  for (const [entry, routesExport, functionName, timeoutMs] of API_FUNCTIONS) {
    const handler = await importHandler(entry);
    const routes = ((await import(pathToFileUrl(entry))) as Record<string, Routes>)[routesExport]!;
    for (const key of Object.keys(routes)) {
      const [method, resource] = key.split(' ') as [string, string];
      apiRoutes.push({ method, resource, handler: (event: APIGatewayProxyEvent) => track(handler(event, lambdaContext(functionName, timeoutMs)) as Promise<APIGatewayProxyResult>) });
    }
  }
  const http: LocalHttpServer = await startHttpServer(
    [...apiRoutes, ...localRoutes({ account, clock, monitoring, notifications, alerts })],
    options.port ?? 8787,
  );

  let stopped = false;
  return {
    url: http.url,
    port: http.port,
    clock,
    iam: account,
    stepFunctions,
    notifications,
    alerts,
    monitoring,
    catalogVersion: loaded.version,
    resumed,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await http.close();
      await monitoring!.stop();
      await stepFunctions.shutdown();
      await settleInflight();
      account.flush();
      await dynamo.close();
      overrideDeps(undefined);
      overrideMonitoring(undefined);
      overrideLifecycleSettings(undefined);
      resetAwsClients();
    },
  };
}

async function allWithStatus(status: Status): Promise<AccessRequest[]> {
  const deps = grantlineDeps();
  const items: AccessRequest[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.requests.query({ by: 'status', status }, { limit: 100, nextToken });
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken);
  return items;
}

/**
 * Executions live in memory, so a restart picks the requests up from the projection: what
 * expired while Grantline was down is revoked or expired now, the rest gets a fresh execution of
 * the same state machine (its Grant step is idempotent and reports the time left).
 */
async function resume(stepFunctions: LocalStepFunctions, clock: ScaledClock): Promise<LocalGrantline['resumed']> {
  const deps = grantlineDeps();
  const out = { revoked: [] as string[], expired: [] as string[], rearmed: [] as string[] };
  const now = clock.now();
  const restart = async (r: AccessRequest, autoApproved: boolean, remainingSeconds: number) => {
    await stepFunctions.startExecution({
      stateMachineArn: STATE_MACHINE_ARN,
      name: `${r.id}-resume-${now.getTime()}`,
      input: JSON.stringify({ requestId: r.id, autoApproved, Payload: { requestId: r.id, remainingSeconds: Math.max(1, remainingSeconds) } }),
    });
    out.rearmed.push(r.id);
  };
  for (const r of [...(await allWithStatus('ACTIVE')), ...(await allWithStatus('REVOKE_FAILED'))]) {
    if (r.status === 'REVOKE_FAILED' || secondsUntil(r.expiresAt, now) === 0) {
      await revokeAccess(deps, r.id);
      out.revoked.push(r.id);
    } else {
      await restart(r, true, 0);
    }
  }
  for (const r of await allWithStatus('APPROVED')) await restart(r, true, 0);
  for (const r of await allWithStatus('PENDING_APPROVAL')) {
    const left = secondsUntil(r.approvalDeadline, now);
    if (left === 0) {
      await expireApproval(deps, r.id);
      out.expired.push(r.id);
    } else {
      await restart(r, false, left);
    }
  }
  return out;
}
