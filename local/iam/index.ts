export {
  DEFAULT_IAM_LIMITS,
  SimulatedIamAccount,
  defaultPolicyDocument,
  type AccountSnapshot,
  type CreatePolicyOptions,
  type CreateRoleOptions,
  type CreateUserOptions,
  type GroupEntity,
  type GroupView,
  type IamLimits,
  type IdentityKind,
  type ManagedPolicyEntity,
  type ManagedPolicyVersion,
  type RoleEntity,
  type RoleView,
  type SimulatedIamAccountOptions,
  type ThrottleOptions,
  type UserEntity,
  type UserView,
} from './account.js';
export {
  AWS_MANAGED_POLICIES,
  encodePolicyDocument,
  parsePolicyDocument,
  type AwsManagedPolicyDefinition,
  type PolicyDocument,
  type PolicyStatement,
} from './documents.js';
export { UnsupportedLocalOperationError } from './errors.js';
export { simulateAccess, type AccessDecision, type AccessQuery } from './evaluate.js';
export { attachSimulatedIam, type SimulatedIamChange, type SimulatedIamOptions } from './middleware.js';
export { SavedIamAccount } from './state.js';
export { TokenBucket } from './throttle.js';
