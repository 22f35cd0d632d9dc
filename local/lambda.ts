import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** The context a Lambda function gets, with the timeout its deployed function has. */
export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } as Context;
}

/** Handler invocations still running: stop() waits for them before closing DynamoDB under them. */
const inflight = new Set<Promise<unknown>>();

export function track<T>(promise: Promise<T>): Promise<T> {
  inflight.add(promise);
  void promise.catch(() => undefined).finally(() => inflight.delete(promise));
  return promise;
}

export async function settleInflight(): Promise<void> {
  while (inflight.size > 0) await Promise.allSettled([...inflight]);
}

/** The handler module a Lambda function is bundled from, loaded as is. */
export async function importHandler(entry: string): Promise<LambdaHandler> {
  const mod = (await import(pathToFileURL(join(PROJECT_ROOT, entry)).href)) as { handler: LambdaHandler };
  return mod.handler;
}

/** A function as local mode invokes it: the real handler, a Lambda context, tracked until it settles. */
export async function localFunction(entry: string, functionName: string, timeoutMs?: number): Promise<(event: unknown) => Promise<unknown>> {
  const handler = await importHandler(entry);
  return (event) => track(handler(event, lambdaContext(functionName, timeoutMs)));
}
