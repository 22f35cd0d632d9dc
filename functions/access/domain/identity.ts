import { UnauthenticatedError } from './errors.js';
import type { Caller } from './types.js';

const USER_OR_ROLE = /^arn:(aws[a-z-]*):iam::(\d{12}):(user|role)\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;
const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/([\w+=,.@-]+)$/;

/**
 * Normalises a SigV4 principal ARN. An assumed-role session is granted on its role; paths are
 * dropped from the role because STS session ARNs never carry them.
 */
export function callerFromArn(arn: string | undefined | null): Caller {
  if (!arn) throw new UnauthenticatedError();
  const user = USER_OR_ROLE.exec(arn);
  if (user) {
    const [, partition, account, type, name] = user;
    return { arn, principalArn: `arn:${partition}:iam::${account}:${type}/${name}`, accountId: account! };
  }
  const session = ASSUMED_ROLE.exec(arn);
  if (session) {
    const [, partition, account, role, sessionName] = session;
    return { arn, principalArn: `arn:${partition}:iam::${account}:role/${role}`, accountId: account!, sessionName: sessionName! };
  }
  throw new UnauthenticatedError(`Caller identity ${JSON.stringify(arn)} is not an IAM user or assumed-role ARN`);
}

/**
 * Does a catalog member ARN denote this caller? Exact entity match only: a role member matches
 * any session of that role; a member written as an assumed-role session ARN matches that session
 * only (Identity Center roles are shared by many people, the session name tells them apart).
 */
export function memberMatches(member: string, caller: Caller): boolean {
  if (member === caller.arn) return true;
  if (ASSUMED_ROLE.test(member)) return false;
  const m = USER_OR_ROLE.exec(member);
  if (!m) return false;
  const [, partition, account, type, name] = m;
  return `arn:${partition}:iam::${account}:${type}/${name}` === caller.principalArn;
}

/** Parts of an IAM principal ARN the IAM adapter acts on. */
export function principalRef(principalArn: string): { type: 'user' | 'role'; name: string; accountId: string } {
  const m = USER_OR_ROLE.exec(principalArn);
  if (!m) throw new Error(`Not an IAM user or role ARN: ${principalArn}`);
  return { type: m[3] as 'user' | 'role', name: m[4]!, accountId: m[2]! };
}
