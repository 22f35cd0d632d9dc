import { randomUUID } from 'node:crypto';
import { DynamoAuditLog, DynamoRequestStore, documentClient } from '../access/adapters/dynamodb.js';
import { SdkIamGateway } from '../access/adapters/iam.js';
import { SfnWorkflow } from '../access/adapters/sfn.js';
import { SnsNotifier } from '../access/adapters/sns.js';
import type { GrantDeps, Notifier } from '../access/domain/ports.js';
import { currentCatalog } from './catalog.js';
import { awsClients } from './clients.js';
import { readEnv } from './env.js';
import { logger } from './logger.js';

const silent: Notifier = { publish: async () => {} };

let deps: GrantDeps | undefined;

/** The real adapters over the shared clients; built once per process. */
export function grantlineDeps(): GrantDeps {
  if (!deps) {
    const env = readEnv();
    const clients = awsClients();
    const ddb = documentClient(clients.ddb);
    deps = {
      audit: new DynamoAuditLog(ddb, env.auditTableName),
      requests: new DynamoRequestStore(ddb, env.requestsTableName),
      workflow: new SfnWorkflow(clients.sfn, env.stateMachineArn),
      notifier: env.approvalTopicArn ? new SnsNotifier(clients.sns, env.approvalTopicArn) : silent,
      // Alerts (revoke failures, anomalies) have their own topic so on-call can page on it.
      alerts: env.alertTopicArn ? new SnsNotifier(clients.sns, env.alertTopicArn) : silent,
      iam: new SdkIamGateway(clients.iam),
      catalog: currentCatalog,
      clock: () => new Date(),
      newId: randomUUID,
      logger: {
        warn: (message, extra) => logger.warn(message, { ...extra }),
        error: (message, extra) => logger.error(message, { ...extra }),
      },
    };
  }
  return deps!;
}

/** Local mode and tests replace parts (clock, notifier) without touching handler code. */
export function overrideDeps(patch: Partial<GrantDeps> | undefined): void {
  deps = patch === undefined ? undefined : { ...grantlineDeps(), ...patch };
}
