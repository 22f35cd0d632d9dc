import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { escalationFindings, wildcardMatch } from '../../../functions/catalog/checks.js';
import { main } from '../../../functions/catalog/cli.js';
import { CatalogError, catalogFromJson, parseCatalog } from '../../../functions/catalog/loader.js';
import { PolicyDocument } from '../../../functions/catalog/schema.js';

const example = readFileSync('catalog/example.yaml', 'utf8');
const u = (name: string) => `arn:aws:iam::000000000000:user/${name}`;

function base(): any {
  return {
    version: 1,
    account: '000000000000',
    admins: ['admins'],
    groups: { developers: [u('alice')], 'sre-leads': [u('bob'), u('carol')], admins: [u('carol')] },
    entitlements: [
      {
        id: 'prod-read',
        description: 'read',
        grant: { type: 'managed-policy', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
        eligible: ['developers'],
        maxDuration: 'PT2H',
        approval: { approvers: ['sre-leads'], required: 1 },
      },
    ],
  };
}

function problemsOf(doc: unknown): string[] {
  try {
    parseCatalog(stringify(doc));
    return [];
  } catch (err) {
    if (err instanceof CatalogError) return [...err.problems];
    throw err;
  }
}

const inline = (Statement: unknown[]) => ({ type: 'inline-policy', policy: { Statement } });
const doc = (Statement: unknown[]) => PolicyDocument.parse({ Statement });

describe('catalog loader', () => {
  it('accepts the example catalog and versions it by content', () => {
    const loaded = parseCatalog(example);
    expect(loaded.catalog.entitlements.map((e) => e.id)).toEqual(expect.arrayContaining(['prod-readonly', 'prod-deploy', 'prod-admin']));
    expect(loaded.version).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(parseCatalog(example).version).toBe(loaded.version);
    expect(parseCatalog(`${example}\n# changed\n`).version).not.toBe(loaded.version);
    expect(parseCatalog(example, { gitCommit: 'abc1234' }).version).toBe(`${loaded.version}+git.abc1234`);
  });

  it('applies defaults (timeout, required, breakGlass)', () => {
    const { catalog } = parseCatalog(stringify(base()));
    expect(catalog.entitlements[0]!.approval.timeout).toBe('PT1H');
    expect(catalog.entitlements[0]!.breakGlass).toBe(false);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(() => parseCatalog('version: 1\nentitlements: [\n')).toThrow(/line \d+/);
  });

  it('names the path of a bad duration', () => {
    const c = base();
    c.entitlements[0].maxDuration = 'two hours';
    expect(problemsOf(c)).toEqual([expect.stringMatching(/^entitlements\[0\]\.maxDuration: must be a duration/)]);
  });

  it('refuses durations over 12 hours', () => {
    const c = base();
    c.entitlements[0].maxDuration = 'PT13H';
    expect(problemsOf(c)[0]).toMatch(/^entitlements\[0\]\.maxDuration: must be at most 12 hours/);
  });

  it('names unknown fields (a typo never passes)', () => {
    const c = base();
    c.entitlements[0].maxDurration = 'PT1H';
    expect(problemsOf(c)).toContain('entitlements[0].maxDurration: unknown field');
  });

  it('reports unknown group references everywhere they appear', () => {
    const c = base();
    c.entitlements[0].eligible = ['devs'];
    c.entitlements[0].approval.approvers = ['leads'];
    c.admins = ['root'];
    const problems = problemsOf(c);
    expect(problems).toContain('entitlements[0].eligible[0]: unknown group "devs"');
    expect(problems).toContain('entitlements[0].approval.approvers[0]: unknown group "leads"');
    expect(problems).toContain('admins[0]: unknown group "root"');
  });

  it('lists every problem at once, not just the first', () => {
    const c = base();
    c.entitlements[0].eligible = ['devs'];
    c.entitlements.push({ ...c.entitlements[0], id: 'prod-read', eligible: ['developers'] });
    c.entitlements[0].approval = { approvers: ['sre-leads'], required: 3 };
    expect(problemsOf(c).length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a required count larger than the approver pool minus the requester', () => {
    const c = base();
    c.groups.developers = [u('alice'), u('bob')];
    c.entitlements[0].approval.required = 2;
    expect(problemsOf(c)).toEqual([expect.stringMatching(/^entitlements\[0\]\.approval\.required: 2 distinct approvers needed but only 1 available once the requester is excluded/)]);
  });

  it('refuses members of another account', () => {
    const c = base();
    c.groups.developers = ['arn:aws:iam::111111111111:user/eve'];
    expect(problemsOf(c)).toContain('groups.developers[0]: arn:aws:iam::111111111111:user/eve is not in account 000000000000');
  });

  it('refuses duplicate entitlement ids', () => {
    const c = base();
    c.entitlements.push(c.entitlements[0]);
    expect(problemsOf(c)).toContain('entitlements[1].id: duplicate id "prod-read" (also entitlements[0])');
  });

  it('refuses policies that are not valid IAM JSON', () => {
    const c = base();
    c.entitlements[0].grant = inline([{ Effect: 'Permit', Action: 's3:GetObject', Resource: '*' }]);
    expect(problemsOf(c)[0]).toMatch(/^entitlements\[0\]\.grant\.policy\.Statement\[0\]\.Effect/);
    c.entitlements[0].grant = inline([{ Effect: 'Allow', Action: 'GetObject', Resource: 'bucket' }]);
    expect(problemsOf(c)).toEqual([
      'entitlements[0].grant.policy.Statement[0].Action: "GetObject" is not an IAM action like service:Action',
      'entitlements[0].grant.policy.Statement[0].Resource: "bucket" is not an ARN or "*"',
    ]);
  });

  it('refuses an auto rule longer than the entitlement allows', () => {
    const c = base();
    c.entitlements[0].approval.auto = { groups: ['developers'], maxDuration: 'PT3H' };
    expect(problemsOf(c)).toContain("entitlements[0].approval.auto.maxDuration: PT3H exceeds the entitlement's maxDuration PT2H");
  });

  it('refuses group grants to roles', () => {
    const c = base();
    c.groups.developers = ['arn:aws:iam::000000000000:role/ci'];
    c.entitlements[0].grant = { type: 'group', groupName: 'admins' };
    expect(problemsOf(c)[0]).toMatch(/group grants need IAM users/);
  });

  it('rebuilds the bundled form and rejects a broken one', () => {
    const { catalog } = parseCatalog(example);
    expect(catalogFromJson(JSON.stringify(catalog), 'v1').catalog).toEqual(catalog);
    expect(() => catalogFromJson('{"version":2}', 'v1')).toThrow(CatalogError);
  });
});

describe('privilege-escalation guardrail', () => {
  it.each([
    ['*', '*'],
    ['iam:*', '*'],
    ['iam:Put*', '*'],
    ['iam:AttachUserPolicy', 'arn:aws:iam::000000000000:user/*'],
    ['iam:CreatePolicyVersion', '*'],
    ['iam:PassRole', '*'],
    ['sts:AssumeRole', '*'],
    ['organizations:*', '*'],
  ])('flags %s on %s', (action, resource) => {
    expect(escalationFindings(doc([{ Effect: 'Allow', Action: action, Resource: resource }]))).toHaveLength(1);
  });

  it.each([
    ['s3:GetObject', '*'],
    ['lambda:UpdateFunctionCode', 'arn:aws:lambda:*:000000000000:function:prod-*'],
    ['iam:PassRole', 'arn:aws:iam::000000000000:role/lambda-exec'],
    ['iam:Get*', '*'],
  ])('allows %s on %s', (action, resource) => {
    expect(escalationFindings(doc([{ Effect: 'Allow', Action: action, Resource: resource }]))).toEqual([]);
  });

  it('flags Allow with NotAction and ignores Deny statements', () => {
    expect(escalationFindings(doc([{ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }]))).toHaveLength(1);
    expect(escalationFindings(doc([{ Effect: 'Deny', Action: 'iam:*', Resource: '*' }]))).toEqual([]);
  });

  it('matches IAM wildcards case-insensitively', () => {
    expect(wildcardMatch('IAM:put*policy', 'iam:PutUserPolicy')).toBe(true);
    expect(wildcardMatch('iam:?ut*', 'iam:PutUserPolicy')).toBe(true);
    expect(wildcardMatch('s3:*', 'iam:PutUserPolicy')).toBe(false);
  });

  it('refuses an escalating entitlement unless break-glass with two approvers', () => {
    const c = base();
    c.entitlements[0].grant = inline([{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }]);
    expect(problemsOf(c)[0]).toMatch(/^entitlements\[0\]\.grant\.policy\.Statement\[0\]: allows iam:\*.*breakGlass/);
    c.entitlements[0].breakGlass = true;
    expect(problemsOf(c).some((p) => p.includes('at least 2 approvers'))).toBe(true);
    c.groups['sre-leads'].push(u('dan'));
    c.entitlements[0].approval.required = 2;
    expect(problemsOf(c)).toEqual([]);
  });

  it('flags AdministratorAccess as a managed-policy grant', () => {
    const c = base();
    c.entitlements[0].grant = { type: 'managed-policy', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' };
    expect(problemsOf(c)[0]).toMatch(/allows privilege escalation/);
  });
});

describe('npm run catalog:check', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  };

  it('exits 0 and summarises a valid catalog', () => {
    const t = io();
    expect(main(['catalog/example.yaml'], t.io)).toBe(0);
    expect(t.out[0]).toMatch(/^✓ catalog\/example\.yaml: \d+ entitlements/);
  });

  it('exits 1 and lists each problem on its own line', () => {
    const t = io();
    expect(main(['test/unit/catalog/fixtures/bad.yaml'], t.io)).toBe(1);
    expect(t.err[0]).toMatch(/✗ .*bad\.yaml: \d+ problems/);
    expect(t.err.slice(1).every((l) => l.startsWith('  '))).toBe(true);
    expect(t.err.join('\n')).toContain('entitlements[0].maxDuration');
    expect(t.err.join('\n')).toContain('iam:PutUserPolicy');
  });

  it('exits 1 for a missing file and 2 without arguments', () => {
    const t = io();
    expect(main(['nope.yaml'], t.io)).toBe(1);
    expect(main([], t.io)).toBe(2);
  });
});
