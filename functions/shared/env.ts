/** Environment of the functions. Read once per module that needs it; missing required values fail fast. */
export interface GrantlineEnv {
  readonly auditTableName: string;
  readonly requestsTableName: string;
  readonly stateMachineArn: string;
  readonly approvalTopicArn: string | undefined;
  readonly alertTopicArn: string | undefined;
  readonly region: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`Missing environment variable ${name}`);
  return value;
}

export function readEnv(): GrantlineEnv {
  return {
    auditTableName: required('AUDIT_TABLE_NAME'),
    requestsTableName: required('REQUESTS_TABLE_NAME'),
    stateMachineArn: process.env['STATE_MACHINE_ARN'] ?? '',
    approvalTopicArn: process.env['APPROVAL_TOPIC_ARN'] || undefined,
    alertTopicArn: process.env['ALERT_TOPIC_ARN'] || undefined,
    region: process.env['AWS_REGION'] ?? 'us-east-1',
  };
}
