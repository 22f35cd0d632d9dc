import { z } from 'zod';
import { principalRef } from '../../access/domain/identity.js';

const Text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

function isUserOrRoleArn(arn: string): boolean {
  try {
    principalRef(arn);
    return true;
  } catch {
    return false;
  }
}

/** An IAM user or role ARN (what grants are given to); sessions and other ARNs are refused. */
export const PrincipalArn = z.string().max(2048).refine(isUserOrRoleArn, 'must be an IAM user or role ARN');

/** Bodies are strict: an unknown field (a typo) is a 400, never silently ignored. */
export const OffboardingBody = z.object({ principal: PrincipalArn, reason: Text(1000) }).strict();
export type OffboardingBody = z.infer<typeof OffboardingBody>;

/** `confirm` is checked by the use case, so every caller of the kill switch needs it, not just the API. */
export const KillSwitchBody = z.object({ reason: Text(1000), confirm: z.string().max(64) }).strict();
export type KillSwitchBody = z.infer<typeof KillSwitchBody>;
