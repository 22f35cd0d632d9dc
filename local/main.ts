import { z } from 'zod';
import { startGrantline } from './runtime.js';

const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  GRANTLINE_DATA_DIR: z.string().min(1).optional(),
  GRANTLINE_TIME_SCALE: z.coerce.number().positive().max(100_000).default(1),
  GRANTLINE_CATALOG: z.string().min(1).optional(),
  GRANTLINE_SCHEDULES: z.enum(['on', 'off']).default('on'),
  ANOMALY_MODE: z.enum(['alert', 'revert']).default('alert'),
});

const USERS: [string, string][] = [
  ['alice', 'developers, oncall — requests access'],
  ['bob', 'sre-leads — approves'],
  ['carol', 'sre-leads, admins — approves, revokes anything'],
  ['dave', 'contractors — eligible for nothing in prod'],
];

async function main(): Promise<void> {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    process.stderr.write(`grantline: ${issue.path.join('.')}: ${issue.message}\n`);
    process.exit(2);
  }
  const env = parsed.data;
  const local = await startGrantline({
    port: env.PORT,
    timeScale: env.GRANTLINE_TIME_SCALE,
    ...(env.GRANTLINE_DATA_DIR ? { dataDir: env.GRANTLINE_DATA_DIR } : {}),
    ...(env.GRANTLINE_CATALOG ? { catalogFile: env.GRANTLINE_CATALOG } : {}),
    schedules: env.GRANTLINE_SCHEDULES === 'on',
    anomalyMode: env.ANOMALY_MODE,
  });
  const every = (minutes: number) => {
    const seconds = (minutes * 60) / env.GRANTLINE_TIME_SCALE;
    return seconds < 120 ? `${Math.round(seconds * 10) / 10} s` : seconds < 7200 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds / 3600)} h`;
  };
  const lines = [
    '',
    `Grantline (local mode) listening on ${local.url}`,
    `  catalog ${env.GRANTLINE_CATALOG ?? 'catalog/example.yaml'} (${local.catalogVersion})`,
    `  DynamoDB: embedded dynalite, ${env.GRANTLINE_DATA_DIR ? `on disk in ${env.GRANTLINE_DATA_DIR}` : 'in memory'}`,
    '  Step Functions: statemachines/access-request.asl.json in aws-local-stepfunctions',
    '  IAM: SIMULATED in memory — no AWS account is touched',
    `  time scale: ${env.GRANTLINE_TIME_SCALE}x${env.GRANTLINE_TIME_SCALE !== 1 ? ' (waits, approval windows and expiry run faster)' : ''}`,
    env.GRANTLINE_SCHEDULES === 'on'
      ? `  schedules: sweeper every ${every(5)}, access review every ${every(24 * 60)} (POST /local/sweep, npm run review on demand)`
      : '  schedules: off (POST /local/sweep, npm run review on demand)',
    `  anomalies: IAM changes become CloudTrail events on a local bus (POST /local/cloudtrail to inject one); mode ${env.ANOMALY_MODE}`,
    '',
    'Demo users (send as header x-grantline-caller: arn:aws:iam::000000000000:user/NAME):',
    ...USERS.map(([u, what]) => `  ${u.padEnd(6)} ${what}`),
    '',
    `Try: curl -s ${local.url}/entitlements -H 'x-grantline-caller: arn:aws:iam::000000000000:user/alice'`,
    ...(local.resumed.revoked.length + local.resumed.expired.length + local.resumed.rearmed.length
      ? [`Resumed: ${local.resumed.revoked.length} revoked, ${local.resumed.expired.length} approvals expired, ${local.resumed.rearmed.length} re-armed`]
      : []),
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping Grantline…\n`);
    await local.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`grantline: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
