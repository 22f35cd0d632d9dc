import { startGrantline } from './runtime.js';

/** A scripted story against a fresh local Grantline, printed as a timeline. */
const SCALE = Number(process.env['GRANTLINE_TIME_SCALE'] ?? 720);
const ACCOUNT = '000000000000';
const arn = (user: string) => `arn:aws:iam::${ACCOUNT}:user/${user}`;

type Json = Record<string, any>;

async function main(): Promise<void> {
  const local = await startGrantline({ port: 0, timeScale: SCALE, schedules: false });
  const started = Date.now();
  const line = (who: string, what: string) => {
    const t = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
    process.stdout.write(`${t}s  ${who.padEnd(7)} ${what}\n`);
  };
  const call = async (who: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${local.url}${path}`, {
      method,
      headers: { ...(who ? { 'x-grantline-caller': arn(who) } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const waitFor = async (who: string, id: string, statuses: string[], timeoutMs = 30_000): Promise<Json> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { json } = await call(who, 'GET', `/requests/${id}`);
      if (statuses.includes(json['request']?.status)) return json['request'];
      if (Date.now() > until) throw new Error(`request ${id} did not reach ${statuses.join('/')} (is ${json['request']?.status})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const can = async (user: string, action: string, resource: string) => {
    const { json } = await call('carol', 'POST', '/local/iam/simulate', { principal: arn(user), action, resource });
    return json['decision'] as string;
  };
  const ids: string[] = [];

  try {
    process.stdout.write(`Grantline demo on ${local.url} — IAM is simulated, time runs ${SCALE}x faster\n\n`);

    line('alice', `can s3:GetObject before anything? ${await can('alice', 's3:GetObject', 'arn:aws:s3:::prod-data/report.csv')}`);
    let r = await call('alice', 'POST', '/requests', { entitlement: 'prod-readonly', duration: 'PT30M', justification: 'INC-101: look at prod logs' });
    const readonly = r.json['request'];
    ids.push(readonly.id);
    line('alice', `requests prod-readonly for 30m → ${r.status} ${readonly.status} (auto-approved: oncall, ≤ 1h)`);
    await waitFor('alice', readonly.id, ['ACTIVE']);
    line('system', `granted ReadOnlyAccess; alice can s3:GetObject? ${await can('alice', 's3:GetObject', 'arn:aws:s3:::prod-data/report.csv')}`);

    r = await call('alice', 'POST', '/requests', { entitlement: 'prod-deploy', duration: '1h', justification: 'Ship the hotfix', ticket: 'INC-123' });
    const deploy = r.json['request'];
    ids.push(deploy.id);
    line('alice', `requests prod-deploy for 1h, ticket INC-123 → ${r.status} ${deploy.status}`);
    r = await call('alice', 'POST', `/requests/${deploy.id}/approve`, {});
    line('alice', `tries to approve her own request → ${r.status} ${r.json['error']?.message}`);
    r = await call('bob', 'POST', `/requests/${deploy.id}/approve`, { comment: 'LGTM' });
    line('bob', `approves → ${r.status} ${r.json['request']?.status}`);
    const active = await waitFor('alice', deploy.id, ['ACTIVE']);
    line('system', `inline policy grantline-${deploy.id.slice(0, 8)}… fenced until ${active.expiresAt}`);
    line('alice', `can lambda:UpdateFunctionCode on prod-api? ${await can('alice', 'lambda:UpdateFunctionCode', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:prod-api`)}`);

    r = await call('alice', 'POST', '/requests', { entitlement: 'prod-readonly', duration: 'PT3H', justification: 'Long investigation' });
    const denied = r.json['request'];
    ids.push(denied.id);
    line('alice', `requests prod-readonly for 3h → ${r.json['request'].status} (too long for auto-approval)`);
    r = await call('carol', 'POST', `/requests/${denied.id}/deny`, { reason: 'Use the dashboards instead' });
    line('carol', `denies → ${r.json['request']?.status}`);

    r = await call('alice', 'POST', '/requests', { entitlement: 'prod-admin', duration: 'PT30M', justification: 'Break glass: prod is down' });
    const admin = r.json['request'];
    ids.push(admin.id);
    line('alice', `break-glass prod-admin → ${admin.status}, needs ${admin.requiredApprovals} approvers`);
    r = await call('bob', 'POST', `/requests/${admin.id}/approve`, {});
    line('bob', `approves → ${r.json['request']?.status} (1 of 2)`);
    r = await call('bob', 'POST', `/requests/${admin.id}/approve`, {});
    line('bob', `approves again → ${r.status} ${r.json['error']?.message}`);
    r = await call('carol', 'POST', `/requests/${admin.id}/approve`, { comment: 'second pair of eyes' });
    line('carol', `approves → ${r.json['request']?.status} (2 of 2)`);
    await waitFor('alice', admin.id, ['ACTIVE']);
    line('system', `alice is in prod-admins; iam:CreateUser? ${await can('alice', 'iam:CreateUser', '*')}`);
    r = await call('carol', 'POST', `/requests/${admin.id}/revoke`, { reason: 'incident resolved' });
    line('carol', `revokes early → ${r.status}`);
    await waitFor('alice', admin.id, ['REVOKED']);
    line('system', `REVOKED; alice iam:CreateUser? ${await can('alice', 'iam:CreateUser', '*')}`);

    const expiresIn = (Date.parse(readonly.createdAt) + 30 * 60_000 - local.clock.now().getTime()) / SCALE / 1000;
    line('system', `waiting for prod-readonly to expire (~${Math.max(0, expiresIn).toFixed(1)}s of real time)…`);
    await waitFor('alice', readonly.id, ['EXPIRED'], 60_000);
    line('system', `EXPIRED on time; alice can s3:GetObject? ${await can('alice', 's3:GetObject', 'arn:aws:s3:::prod-data/report.csv')}`);

    // Monitoring: someone outside Grantline gives dave admin rights; the anomaly rule catches it.
    local.iam.attachPolicy('user', 'dave', 'arn:aws:iam::aws:policy/AdministratorAccess');
    const at = local.clock.now().toISOString();
    r = await call(null, 'POST', '/local/cloudtrail', {
      version: '0', id: 'demo-1', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', account: ACCOUNT, time: at, region: 'us-east-1', resources: [],
      detail: {
        eventVersion: '1.09', eventID: 'demo-evt-1', eventTime: at, eventName: 'AttachUserPolicy', eventSource: 'iam.amazonaws.com', awsRegion: 'us-east-1',
        userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::${ACCOUNT}:user/mallory`, accountId: ACCOUNT },
        requestParameters: { userName: 'dave', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }, responseElements: null,
      },
    });
    line('mallory', `attaches AdministratorAccess to dave outside Grantline → ${r.json['deliveries']?.[0]?.result?.outcome}`);
    const alert = local.alerts.messages.find((m) => m.subject.includes('AttachUserPolicy'));
    line('system', `alert to on-call: "${alert?.subject}"`);
    r = await call('carol', 'POST', '/reviews', {});
    const review = r.json['review'];
    line('carol', `runs the access review → ${review.summary.findings} findings (${review.summary.bySeverity.HIGH} high) in ${review.summary.iamCalls} IAM call(s)`);
    const drift = (review.findings as Json[]).find((f) => f['type'] === 'DRIFT');
    if (drift) line('system', `  ${drift['severity']} ${drift['message']}`);
    r = await call('carol', 'POST', '/offboarding', { principal: `arn:aws:iam::${ACCOUNT}:user/alice`, reason: 'demo: alice moves to another team' });
    line('carol', `offboards alice → ${JSON.stringify(r.json['counts'])} in ${r.json['durationMs']} ms (local time)`);
    const feed = (await call(null, 'GET', '/local/events?bus=grantline&detailType=Grantline%20Audit%20Record&limit=1000')).json['items'] as Json[];
    line('system', `${feed.length} audit records published on the grantline bus for a SIEM`);

    process.stdout.write('\nAudit chains:\n');
    for (const id of ids) {
      const { json } = await call('carol', 'GET', `/requests/${id}/audit`);
      const items = json['items'] as Json[];
      process.stdout.write(`  ${id}  ${String(items.at(-1)?.['state']?.status).padEnd(9)} ${items.length} records  verified: ${json['verified']}\n`);
      process.stdout.write(`    ${items.map((i) => i['action']).join(' → ')}\n`);
    }
  } finally {
    await local.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
