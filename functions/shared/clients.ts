import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';

/**
 * One client per service per process, created on first use. Local mode changes where the calls go
 * (a DynamoDB endpoint, or a middleware answering IAM and Step Functions), never the calling code.
 */
let clients: { ddb: DynamoDBClient; iam: IAMClient; sfn: SFNClient; sns: SNSClient } | undefined;

export function awsClients() {
  if (!clients) {
    const region = process.env['AWS_REGION'] ?? 'us-east-1';
    const endpoint = process.env['DYNAMODB_ENDPOINT'];
    clients = {
      ddb: new DynamoDBClient({ region, ...(endpoint ? { endpoint } : {}) }),
      // IAM is a global service; the SDK's retries stay short because the state machine retries with backoff.
      iam: new IAMClient({ region, maxAttempts: 2 }),
      sfn: new SFNClient({ region }),
      sns: new SNSClient({ region }),
    };
  }
  return clients;
}

/** Local mode restarts in one process (tests): forget the clients so the next start builds fresh ones. */
export function resetAwsClients(): void {
  if (clients) for (const c of Object.values(clients)) c.destroy();
  clients = undefined;
}
