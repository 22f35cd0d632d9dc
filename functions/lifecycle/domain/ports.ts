import type { IamChange, PrincipalRef } from '../../access/domain/grant-plan.js';

/**
 * Reads IAM back once per principal after a bulk revoke, instead of once per object: at IAM's
 * rate limits a read-back per object would double the time an offboarding takes.
 */
export interface PrincipalVerifier {
  /** Of these changes (all for `principal`), the ones whose object IAM still shows. */
  stillPresent(principal: PrincipalRef, changes: readonly IamChange[]): Promise<IamChange[]>;
}

export type Sleep = (ms: number) => Promise<void>;
