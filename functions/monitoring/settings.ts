import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { z } from 'zod';
import { awsClients } from '../shared/clients.js';
import { grantlineDeps } from '../shared/deps.js';
import { EventBridgePublisher } from './adapters/event-publisher.js';
import { SdkIamInventory } from './adapters/iam-inventory.js';
import { SdkIamRemediator } from './adapters/iam-remediator.js';
import { ANOMALY_MODES, type AnomalyMode, normaliseRoleArn } from './domain/anomaly.js';
import type { EventPublisher, IamInventory, IamRemediator, MonitoringDeps } from './domain/ports.js';
import { pathFree } from './domain/review.js';

/**
 * Environment of the monitoring functions, read on first use and cached; a bad value throws before
 * any event is handled:
 * - ANOMALY_MODE: alert (default) | revert
 * - GRANTLINE_ROLE_ARNS: comma-separated ARNs of the roles Grantline grants with (required by the anomaly function)
 * - EVENT_BUS_NAME: the `grantline` bus (required by the review)
 * - REVIEW_IGNORE_PRINCIPALS: optional comma-separated user/role ARNs whose standing access the review accepts
 * - STATE_MACHINE_ARN: optional; execution events of other state machines are ignored
 */
export interface AnomalyEnv {
  readonly mode: AnomalyMode;
  readonly grantlineRoles: ReadonlySet<string>;
}

export interface ReviewEnv {
  readonly eventBusName: string;
  /** Grantline's roles (when known) and REVIEW_IGNORE_PRINCIPALS, path-free. */
  readonly ignore: ReadonlySet<string>;
}

function list(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function roleArns(required: boolean): Set<string> {
  const raw = list('GRANTLINE_ROLE_ARNS');
  if (required && raw.length === 0) throw new Error('Missing environment variable GRANTLINE_ROLE_ARNS (comma-separated role ARNs)');
  return new Set(
    raw.map((arn) => {
      const role = normaliseRoleArn(arn);
      if (!role || !role.includes(':role/')) throw new Error(`GRANTLINE_ROLE_ARNS: ${JSON.stringify(arn)} is not an IAM role ARN`);
      return role;
    }),
  );
}

let anomaly: AnomalyEnv | undefined;
let review: ReviewEnv | undefined;

export function anomalyEnv(): AnomalyEnv {
  if (!anomaly) {
    const mode = z.enum(ANOMALY_MODES).default('alert').safeParse(process.env['ANOMALY_MODE'] || undefined);
    if (!mode.success) throw new Error(`ANOMALY_MODE must be one of ${ANOMALY_MODES.join(', ')}, not ${JSON.stringify(process.env['ANOMALY_MODE'])}`);
    anomaly = { mode: mode.data, grantlineRoles: roleArns(true) };
  }
  return anomaly;
}

export function reviewEnv(): ReviewEnv {
  if (!review) {
    const eventBusName = process.env['EVENT_BUS_NAME'];
    if (!eventBusName) throw new Error('Missing environment variable EVENT_BUS_NAME');
    const ignored = list('REVIEW_IGNORE_PRINCIPALS').map((arn) => {
      const principal = pathFree(arn);
      if (!/:(user|role)\//.test(principal)) throw new Error(`REVIEW_IGNORE_PRINCIPALS: ${JSON.stringify(arn)} is not an IAM user or role ARN`);
      return principal;
    });
    review = { eventBusName, ignore: new Set([...roleArns(false), ...ignored]) };
  }
  return review;
}

export function executionEnv(): { readonly stateMachineArn: string | undefined } {
  return { stateMachineArn: process.env['STATE_MACHINE_ARN'] || undefined };
}

interface MonitoringAdapters {
  readonly inventory: IamInventory;
  readonly remediator: IamRemediator;
  readonly events: EventPublisher;
}

let adapters: MonitoringAdapters | undefined;
let eventBridge: EventBridgeClient | undefined;

function monitoringAdapters(): MonitoringAdapters {
  if (!adapters) {
    const iam = awsClients().iam;
    adapters = {
      inventory: new SdkIamInventory(iam),
      remediator: new SdkIamRemediator(iam),
      // The bus is only needed by the review: the client and name are resolved on first publish.
      events: {
        publish: (detailType, detail) => {
          eventBridge ??= new EventBridgeClient({ region: process.env['AWS_REGION'] ?? 'us-east-1' });
          return new EventBridgePublisher(eventBridge, reviewEnv().eventBusName).publish(detailType, detail);
        },
      },
    };
  }
  return adapters;
}

/** The access deps plus the monitoring adapters. Not cached: `overrideDeps` in tests and local mode takes effect at once. */
export function monitoringDeps(): MonitoringDeps {
  return { ...grantlineDeps(), ...monitoringAdapters() };
}

/** Local mode and tests swap adapters (a fake inventory, the local bus); `undefined` resets adapters and settings. */
export function overrideMonitoring(patch: Partial<MonitoringAdapters> | undefined): void {
  if (patch === undefined) {
    adapters = undefined;
    anomaly = undefined;
    review = undefined;
    return;
  }
  adapters = { ...monitoringAdapters(), ...patch };
}
