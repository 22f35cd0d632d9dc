import { startGrantline } from './runtime.js';

/** A scripted story against a fresh local Grantline, printed as a timeline. */
const SCALE = Number(process.env['GRANTLINE_TIME_SCALE'] ?? 720);
const ACCOUNT = '000000000000';
const arn = (user: string) => `arn:aws:iam::${ACCOUNT}:user/${user}`;

type Json = Record<string, any>;

async function main(): Promise<void> {
  const local = await startGrantline({ port: 0, timeScale: SCALE });
  const started = Date.now();
  const line = (who: string, what: string) => {
    const t = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
    process.stdout.write(`${t}s  ${who.padEnd(6)} ${what}\n`);
  };
  const call = async (who: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> => {
    const res = await fetch(`${local.url}${path}`, {
      method,
      headers: { 'x-grantline-caller': arn(who), ...(body ? { 'content-type': 'application/json' } : {}) },
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
