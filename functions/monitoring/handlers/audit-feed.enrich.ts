import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import { z } from 'zod';
import type { AuditRecord } from '../../access/domain/types.js';
import { validationFromZod } from '../../shared/middleware/http.js';
import { type AuditEventDetail, auditRecordToEvent } from '../domain/audit-event.js';

/** What an EventBridge Pipe hands its enrichment from a DynamoDB stream: a batch of stream records. */
const StreamBatch = z.array(
  z.looseObject({
    eventName: z.string().optional(),
    dynamodb: z.looseObject({ NewImage: z.record(z.string(), z.unknown()).optional() }),
  }),
);

/**
 * Pipe enrichment: audit table stream (NEW_IMAGE) → the "Grantline Audit Record" event detail, one
 * per inserted record. The Pipe's bus target sets source "grantline" and the detail-type; returning
 * an array makes one event per element. Records without a new image (none: the log is append-only)
 * are dropped.
 */
export const handler = middy<unknown, AuditEventDetail[]>().handler(async (raw: unknown) => {
  const parsed = StreamBatch.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw validationFromZod(parsed.error, 'event');
  return parsed.data.flatMap((r) => {
    const image = r.dynamodb.NewImage;
    if (r.eventName === 'REMOVE' || !image) return [];
    const record = unmarshall(image as Record<string, AttributeValue>) as AuditRecord;
    return [auditRecordToEvent(record).detail];
  });
});
