import 'aws-sdk-client-mock-vitest/extend';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SnsNotifier } from '../../functions/access/adapters/sns.js';

const snsMock = mockClient(SNSClient);
const notifier = new SnsNotifier(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:000000000000:alerts');

afterEach(() => {
  snsMock.reset();
});

describe('SnsNotifier', () => {
  it('publishes the message as JSON under an SNS-safe subject', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'm' });

    // Act
    await notifier.publish(`Grantline: revoke failed ≠ ok\n${'x'.repeat(200)}`, { type: 'RevokeFailed' });

    // Assess
    const sent = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(sent.TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:alerts');
    expect(sent.Subject).toHaveLength(100);
    expect(sent.Subject).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(sent.Message!)).toEqual({ type: 'RevokeFailed' });
  });
});
