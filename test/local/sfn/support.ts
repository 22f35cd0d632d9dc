import { readFileSync } from 'node:fs';
import { afterEach, beforeEach } from 'vitest';
import { substituteDefinition } from '../../../local/sfn/index.js';

export const ACCOUNT = '123456789012';
export const STATE_MACHINE_ARN = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:Test`;
export const functionArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

export function loadFixture(file: string, substitutions: Record<string, string> = {}): string {
  const template = readFileSync(new URL(`../../fixtures/asl/${file}`, import.meta.url), 'utf8');
  return substituteDefinition(template, substitutions);
}

/** A lambda:invoke Task state as the project's ASL writes them. */
export function lambdaInvoke(functionName: string, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: functionArn(functionName), 'Payload.$': '$' },
    ...fields,
  };
}

export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Collects unhandled rejections during each test of the calling file. */
export function collectUnhandledRejections(): unknown[] {
  const reasons: unknown[] = [];
  const listener = (reason: unknown) => reasons.push(reason);
  beforeEach(() => {
    reasons.length = 0;
    process.on('unhandledRejection', listener);
  });
  afterEach(() => {
    process.off('unhandledRejection', listener);
  });
  return reasons;
}

/** Lets pending promise chains and immediate callbacks run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
