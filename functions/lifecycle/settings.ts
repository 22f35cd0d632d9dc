import { z } from 'zod';
import { awsClients } from '../shared/clients.js';
import { SdkPrincipalVerifier } from './adapters/iam-verifier.js';
import type { SweepPolicy } from './domain/sweep-rules.js';
import type { BulkRevokeOptions } from './use-cases/bulk-revoke.js';

export interface LifecycleSettings {
  readonly sweepPolicy: Partial<SweepPolicy>;
  readonly bulk: BulkRevokeOptions;
}

const Seconds = z.coerce.number().int('must be a whole number').min(0);
const Concurrency = z.coerce.number().int('must be a whole number').min(1).max(64);

function optionalEnv<T>(name: string, schema: z.ZodType<T>): T | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`Environment variable ${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

let settings: LifecycleSettings | undefined;

/**
 * Optional tuning from the environment (defaults in the use cases), read once per process:
 * SWEEPER_GRACE_SECONDS, SWEEPER_STUCK_GRANT_SECONDS, BULK_REVOKE_IAM_CONCURRENCY.
 */
export function lifecycleSettings(): LifecycleSettings {
  if (!settings) {
    const graceSeconds = optionalEnv('SWEEPER_GRACE_SECONDS', Seconds);
    const stuckGrantSeconds = optionalEnv('SWEEPER_STUCK_GRANT_SECONDS', Seconds);
    const iamConcurrency = optionalEnv('BULK_REVOKE_IAM_CONCURRENCY', Concurrency);
    settings = {
      sweepPolicy: { ...(graceSeconds !== undefined ? { graceSeconds } : {}), ...(stuckGrantSeconds !== undefined ? { stuckGrantSeconds } : {}) },
      bulk: { ...(iamConcurrency !== undefined ? { iamConcurrency } : {}), verifier: new SdkPrincipalVerifier(awsClients().iam) },
    };
  }
  return settings;
}

/** Local mode and tests swap parts (a verifier, an instant sleep); `undefined` goes back to the environment. */
export function overrideLifecycleSettings(patch: Partial<LifecycleSettings> | undefined): void {
  settings = patch === undefined ? undefined : { ...lifecycleSettings(), ...patch };
}
