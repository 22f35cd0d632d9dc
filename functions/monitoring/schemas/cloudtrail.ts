import { z } from 'zod';

/**
 * Who made a CloudTrail-recorded call. Loose: CloudTrail adds fields over time, and a new field
 * must never stop the anomaly function.
 */
export const CloudTrailUserIdentity = z.looseObject({
  type: z.string(),
  principalId: z.string().optional(),
  arn: z.string().optional(),
  accountId: z.string().optional(),
  accessKeyId: z.string().optional(),
  userName: z.string().optional(),
  invokedBy: z.string().optional(),
  sessionContext: z
    .looseObject({
      sessionIssuer: z
        .looseObject({
          type: z.string().optional(),
          principalId: z.string().optional(),
          arn: z.string().optional(),
          accountId: z.string().optional(),
          userName: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
});
export type CloudTrailUserIdentity = z.infer<typeof CloudTrailUserIdentity>;

const Parameters = z.record(z.string(), z.unknown()).nullable().default(null);

export const CloudTrailDetail = z.looseObject({
  eventVersion: z.string(),
  eventID: z.string().min(1).max(128),
  eventTime: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time' }),
  eventName: z.string().min(1),
  eventSource: z.string().min(1),
  userIdentity: CloudTrailUserIdentity,
  requestParameters: Parameters,
  responseElements: Parameters,
  sourceIPAddress: z.string().optional(),
  awsRegion: z.string(),
  readOnly: z.boolean().optional(),
  /** Set when the call failed (AccessDenied, NoSuchEntity, ...): such calls changed nothing. */
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
});
export type CloudTrailDetail = z.infer<typeof CloudTrailDetail>;

/**
 * A CloudTrail management event as EventBridge delivers it. IAM events (source aws.iam) drive the
 * untracked-change rule; any other `aws.*` source only feeds the in-window watch.
 */
export const CloudTrailEvent = z.looseObject({
  version: z.string(),
  id: z.string(),
  'detail-type': z.literal('AWS API Call via CloudTrail'),
  source: z.string().regex(/^aws\.[a-z0-9-]+$/, 'must be an AWS service source like aws.iam'),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.unknown()).default([]),
  detail: CloudTrailDetail,
});
export type CloudTrailEvent = z.infer<typeof CloudTrailEvent>;
