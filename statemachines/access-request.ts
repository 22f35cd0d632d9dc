/**
 * The Task states of access-request.asl.json and the function behind each. CDK substitutes
 * `${placeholder}` with the function's ARN; local mode runs `entry`'s handler for the state name.
 */
export const ACCESS_REQUEST_ASL = 'access-request.asl.json';

export type TaskAccess = 'read' | 'token' | 'decide' | 'iam' | 'notify' | 'alert';

export interface TaskBinding {
  readonly state: string;
  readonly placeholder: string;
  /** Handler module, relative to the project root. */
  readonly entry: string;
  /** What the function touches, so the construct can grant exactly that. */
  readonly needs: readonly TaskAccess[];
}

export const ACCESS_REQUEST_TASKS: readonly TaskBinding[] = [
  { state: 'NotifyApprovers', placeholder: 'NotifyApproversFunctionArn', entry: 'functions/access/handlers/notify-approvers.task.ts', needs: ['read', 'notify'] },
  { state: 'AwaitApproval', placeholder: 'AwaitApprovalFunctionArn', entry: 'functions/access/handlers/await-approval.task.ts', needs: ['read', 'token'] },
  { state: 'ExpireApproval', placeholder: 'ExpireApprovalFunctionArn', entry: 'functions/access/handlers/expire-approval.task.ts', needs: ['read', 'decide', 'notify'] },
  { state: 'Grant', placeholder: 'GrantFunctionArn', entry: 'functions/access/handlers/grant.task.ts', needs: ['read', 'decide', 'iam'] },
  { state: 'RecordGrantFailure', placeholder: 'RecordGrantFailureFunctionArn', entry: 'functions/access/handlers/record-grant-failure.task.ts', needs: ['read', 'decide', 'iam', 'alert'] },
  { state: 'AwaitExpiryOrRevoke', placeholder: 'AwaitExpiryFunctionArn', entry: 'functions/access/handlers/await-expiry.task.ts', needs: ['read', 'token'] },
  { state: 'Revoke', placeholder: 'RevokeFunctionArn', entry: 'functions/access/handlers/revoke.task.ts', needs: ['read', 'decide', 'iam'] },
  { state: 'RecordRevokeFailure', placeholder: 'RecordRevokeFailureFunctionArn', entry: 'functions/access/handlers/record-revoke-failure.task.ts', needs: ['read', 'decide', 'alert'] },
];
