import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notifier } from '../domain/ports.js';

export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(subject: string, message: Record<string, unknown>): Promise<void> {
    await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        // SNS subjects: ASCII, no newlines, at most 100 characters.
        Subject: subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 100),
        Message: JSON.stringify(message, null, 2),
      }),
    );
  }
}

/** Keeps notifications in memory (local mode shows them; tests assert on them). */
export class MemoryNotifier implements Notifier {
  readonly messages: { subject: string; message: Record<string, unknown>; at: string }[] = [];
  async publish(subject: string, message: Record<string, unknown>): Promise<void> {
    this.messages.push({ subject, message, at: new Date().toISOString() });
  }
}
