import { randomUUID } from 'node:crypto';
import type { BusEvent } from './event-bus.js';
import type { SimulatedIamChange } from './iam/index.js';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './lambda.js';

/** The role Grantline's functions call IAM with in local mode (GRANTLINE_ROLE_ARNS). */
export const LOCAL_GRANTLINE_ROLE = `arn:aws:iam::${LOCAL_ACCOUNT}:role/grantline-local`;

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/** CloudTrail's requestParameters spell the API's input members in camelCase. */
function requestParameters(input: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), v]));
}

/**
 * A change the simulated IAM account applied, as the CloudTrail management event EventBridge would
 * deliver for it: made by Grantline's own role in a Lambda session.
 */
export function cloudTrailEventFor(change: SimulatedIamChange, sessionName = 'grantline-local'): BusEvent {
  const roleName = LOCAL_GRANTLINE_ROLE.split('/').pop()!;
  const eventTime = change.at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': CLOUDTRAIL_DETAIL_TYPE,
    source: 'aws.iam',
    account: LOCAL_ACCOUNT,
    time: eventTime,
    region: LOCAL_REGION,
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROALOCALGRANTLINE0000:${sessionName}`,
        arn: `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${roleName}/${sessionName}`,
        accountId: LOCAL_ACCOUNT,
        accessKeyId: 'ASIALOCALGRANTLINE00',
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: 'AROALOCALGRANTLINE0000', arn: LOCAL_GRANTLINE_ROLE, accountId: LOCAL_ACCOUNT, userName: roleName },
          attributes: { creationDate: eventTime, mfaAuthenticated: 'false' },
        },
      },
      eventTime,
      eventSource: 'iam.amazonaws.com',
      eventName: change.eventName,
      awsRegion: LOCAL_REGION,
      sourceIPAddress: 'lambda.amazonaws.com',
      userAgent: 'grantline-local',
      requestParameters: requestParameters(change.input),
      responseElements: null,
      requestID: randomUUID(),
      eventID: randomUUID(),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: LOCAL_ACCOUNT,
      eventCategory: 'Management',
    },
  };
}
