import { parseArgs } from 'node:util';

/**
 * `npm run review [-- --remediate] [--as NAME|ARN] [--url URL] [--json]`: runs the access review
 * now on a running local Grantline (POST /reviews) and prints its findings.
 */
const USAGE = 'usage: npm run review -- [--remediate] [--as carol] [--url http://127.0.0.1:8787] [--json]';

interface Finding {
  readonly id: string;
  readonly type: string;
  readonly severity: string;
  readonly message: string;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        remediate: { type: 'boolean', default: false },
        as: { type: 'string', default: process.env['GRANTLINE_CALLER'] ?? 'carol' },
        url: { type: 'string', default: process.env['GRANTLINE_URL'] ?? `http://127.0.0.1:${process.env['PORT'] ?? 8787}` },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const caller = args.as.startsWith('arn:') ? args.as : `arn:aws:iam::000000000000:user/${args.as}`;
  let res: Response;
  try {
    res = await fetch(`${args.url}/reviews`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-grantline-caller': caller },
      body: JSON.stringify({ remediate: args.remediate }),
    });
  } catch {
    process.stderr.write(`review: nothing answers at ${args.url}; start Grantline first with \`npm start\` (or pass --url)\n`);
    return 1;
  }
  const body = (await res.json()) as { review?: { id: string; summary: Record<string, unknown>; findings: Finding[]; truncated?: number }; error?: { code: string; message: string } };
  if (!res.ok || !body.review) {
    process.stderr.write(`review: ${res.status} ${body.error?.code ?? ''}: ${body.error?.message ?? JSON.stringify(body)}\n`);
    return 1;
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return 0;
  }
  const { review } = body;
  const s = review.summary as { principals: number; iamCalls: number; cpuMs: number; remediated: number; bySeverity: Record<string, number> };
  process.stdout.write(
    [
      `Access review ${review.id}`,
      `  ${s.principals} principals read in ${s.iamCalls} IAM calls, ${s.cpuMs} ms CPU; ${s.remediated} remediated`,
      `  findings: ${s.bySeverity['HIGH'] ?? 0} high, ${s.bySeverity['MEDIUM'] ?? 0} medium, ${s.bySeverity['LOW'] ?? 0} low`,
      ...review.findings.map((f) => `  ${f.severity.padEnd(6)} ${f.type.padEnd(20)} ${f.message}`),
      ...(review.truncated ? [`  … and ${review.truncated} more (GET /reviews/${review.id})`] : []),
      '',
    ].join('\n'),
  );
  return 0;
}

process.exitCode = await main();
