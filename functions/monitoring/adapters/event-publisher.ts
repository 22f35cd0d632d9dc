import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { AUDIT_EVENT_SOURCE } from '../domain/audit-event.js';
import type { EventPublisher } from '../domain/ports.js';

/** PutEvents reports refused entries in its answer, not as an error: turn them into one. */
export class EventPublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventPublishError';
  }
}

/** Events with source "grantline" on Grantline's bus. */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(detailType: string, detail: Record<string, unknown>): Promise<void> {
    const out = await this.client.send(
      new PutEventsCommand({ Entries: [{ EventBusName: this.busName, Source: AUDIT_EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) }] }),
    );
    if (out.FailedEntryCount) {
      const entry = out.Entries?.find((e) => e.ErrorCode);
      throw new EventPublishError(`PutEvents refused the ${detailType} event: ${entry?.ErrorCode ?? 'unknown'}: ${entry?.ErrorMessage ?? ''}`);
    }
  }
}
