import { DefinitionError } from './errors.js';

/**
 * Turns an ASL definition into the one handed to aws-local-stepfunctions, plus a spec per state
 * the runtime drives itself:
 * - Task states: the library's own timer (60 s by default, unscaled) is pushed out of reach, and
 *   TimeoutSeconds(Path)/HeartbeatSeconds(Path) are enforced by the runtime, time-scaled.
 * - Wait states become Tasks run by the runtime, so SecondsPath/TimestampPath scale too
 *   (the library's waitTimeOverrides are fixed before the execution starts).
 * - Retry intervals are divided by the time scale; the execution's TimeoutSeconds is enforced
 *   (scaled) by the runtime.
 * A path-valued setting is rendered by the library itself: the state's Parameters are wrapped as
 * `{ __local: { "timeoutSeconds.$": path }, __input: <Parameters> }`, so the path resolves
 * against the state input (after InputPath) like in AWS, not against the Parameters output as
 * the library alone would.
 */

export const LOCAL_KEY = '__local';
export const INPUT_KEY = '__input';

/** Longest delay the library's own setTimeout accepts without overflowing (~24.8 days). */
const LIBRARY_TIMEOUT_OFF_SECONDS = 2_147_483;
const CALLBACK_SUFFIX = '.waitForTaskToken';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const DEFAULT_RETRY_INTERVAL_SECONDS = 1;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type AslObject = Record<string, unknown>;

/** A duration known in the definition, or a path rendered into `__local.<name>` at run time. */
export type Setting<T> = { readonly value: T } | { readonly path: string };

export interface TaskSpec {
  readonly kind: 'task';
  readonly stateName: string;
  readonly resource: string;
  /** `.waitForTaskToken`: the result comes from SendTaskSuccess/SendTaskFailure. */
  readonly callback: boolean;
  /** `invoke`: the lambda:invoke integration (Payload in, `{Payload, StatusCode}` out); `function`: a bare function ARN. */
  readonly lambda?: 'invoke' | 'function';
  readonly timeoutSeconds?: Setting<number>;
  readonly heartbeatSeconds?: Setting<number>;
  /** Whether the rendered input is the `{__local, __input}` wrapper. */
  readonly wrapped: boolean;
}

export interface WaitSpec {
  readonly kind: 'wait';
  readonly stateName: string;
  readonly seconds?: Setting<number>;
  readonly timestamp?: Setting<string>;
  /** With InputPath the output is the selected input (carried in `__input`); otherwise the raw input (ResultPath null). */
  readonly carriesInput: boolean;
}

export type StateSpec = TaskSpec | WaitSpec;

export interface PreparedDefinition {
  readonly definition: AslObject;
  readonly states: ReadonlyMap<string, StateSpec>;
  /** Execution-level TimeoutSeconds, enforced (scaled) by the runtime. */
  readonly timeoutSeconds?: number;
}

/** Replaces every `${Key}` like CDK's definitionSubstitutions; a key left without a value is an error. */
export function substituteDefinition(template: string, substitutions: Readonly<Record<string, string>>): string {
  const missing = new Set<string>();
  const text = template.replace(/\$\{([^}]+)\}/g, (placeholder, key: string) => {
    const value = substitutions[key];
    if (value === undefined) missing.add(key);
    return value ?? placeholder;
  });
  if (missing.size > 0) throw new DefinitionError(`No substitution for ${[...missing].map((key) => `\${${key}}`).join(', ')}`);
  return text;
}

export function parseDefinition(definition: string | object): AslObject {
  if (typeof definition !== 'string') return structuredClone(definition) as AslObject;
  try {
    const parsed: unknown = JSON.parse(definition);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as AslObject;
  } catch (error) {
    throw new DefinitionError(`The definition is not a JSON object: ${(error as Error).message}`);
  }
}

export function prepareDefinition(definition: AslObject, timeScale: number): PreparedDefinition {
  const scope: Scope = { timeScale, specs: new Map(), names: new Set() };
  const { TimeoutSeconds, ...rest } = definition;
  const prepared = { ...rest, States: prepareStates(rest.States, scope) };
  const result = { definition: prepared, states: scope.specs };
  return typeof TimeoutSeconds === 'number' ? { ...result, timeoutSeconds: TimeoutSeconds } : result;
}

interface Scope {
  readonly timeScale: number;
  readonly specs: Map<string, StateSpec>;
  /** Across nested Map/Parallel states too: the library looks overrides up by name alone. */
  readonly names: Set<string>;
}

function prepareStates(states: unknown, scope: Scope): AslObject {
  if (states === null || typeof states !== 'object') throw new DefinitionError('A state machine needs a States object');
  return Object.fromEntries(
    Object.entries(states as Record<string, AslObject>).map(([name, state]) => {
      if (scope.names.has(name)) throw new DefinitionError(`State name ${name} is used twice; local handlers are mapped by state name`);
      scope.names.add(name);
      return [name, prepareState(name, state, scope)];
    }),
  );
}

function prepareState(name: string, state: AslObject, scope: Scope): AslObject {
  const prepared = prepareErrorHandling(state, scope.timeScale);
  switch (state.Type) {
    case 'Task':
      return prepareTask(name, prepared, scope.specs);
    case 'Wait':
      return prepareWait(name, prepared, scope.specs);
    case 'Parallel':
      return { ...prepared, Branches: (state.Branches as AslObject[]).map((branch) => ({ ...branch, States: prepareStates(branch.States, scope) })) };
    case 'Map': {
      const key = state.ItemProcessor ? 'ItemProcessor' : 'Iterator';
      const processor = state[key] as AslObject;
      return { ...prepared, [key]: { ...processor, States: prepareStates(processor.States, scope) } };
    }
    default:
      return prepared;
  }
}

function prepareTask(name: string, state: AslObject, specs: Map<string, StateSpec>): AslObject {
  const { TimeoutSeconds, TimeoutSecondsPath, HeartbeatSeconds, HeartbeatSecondsPath, Parameters, ...rest } = state;
  const resource = String(state.Resource);
  const timeoutSeconds = setting<number>(TimeoutSeconds, TimeoutSecondsPath);
  const heartbeatSeconds = setting<number>(HeartbeatSeconds, HeartbeatSecondsPath);
  const paths = renderedPaths({ timeoutSeconds, heartbeatSeconds });
  const wrapped = Object.keys(paths).length > 0;
  const lambda = resource.startsWith(LAMBDA_INVOKE) ? 'invoke' : resource.startsWith('arn:aws:lambda:') ? 'function' : undefined;
  specs.set(name, {
    kind: 'task',
    stateName: name,
    resource,
    callback: resource.endsWith(CALLBACK_SUFFIX),
    ...(lambda && { lambda }),
    ...(timeoutSeconds && { timeoutSeconds }),
    ...(heartbeatSeconds && { heartbeatSeconds }),
    wrapped,
  });
  const parameters = wrapped
    ? { [LOCAL_KEY]: paths, ...(Parameters === undefined ? { [`${INPUT_KEY}.$`]: '$' } : { [INPUT_KEY]: Parameters }) }
    : Parameters;
  return { ...rest, ...(parameters !== undefined && { Parameters: parameters }), TimeoutSeconds: LIBRARY_TIMEOUT_OFF_SECONDS };
}

function prepareWait(name: string, state: AslObject, specs: Map<string, StateSpec>): AslObject {
  const { Seconds, SecondsPath, Timestamp, TimestampPath, ...rest } = state;
  const seconds = setting<number>(Seconds, SecondsPath);
  const timestamp = setting<string>(Timestamp, TimestampPath);
  const carriesInput = 'InputPath' in state;
  specs.set(name, { kind: 'wait', stateName: name, ...(seconds && { seconds }), ...(timestamp && { timestamp }), carriesInput });
  const paths = renderedPaths({ seconds, timestamp });
  const parameters = { ...(Object.keys(paths).length > 0 && { [LOCAL_KEY]: paths }), ...(carriesInput && { [`${INPUT_KEY}.$`]: '$' }) };
  return {
    ...rest,
    Type: 'Task',
    // Never invoked: every emulated Wait has a local override.
    Resource: 'arn:aws:states:::local:wait',
    ...(Object.keys(parameters).length > 0 && { Parameters: parameters }),
    ...(!carriesInput && { ResultPath: null }),
    TimeoutSeconds: LIBRARY_TIMEOUT_OFF_SECONDS,
  };
}

/**
 * Scales Retry pauses, and lets `States.Timeout` also match a heartbeat timeout, as in AWS (the
 * library matches error names literally).
 */
function prepareErrorHandling(state: AslObject, timeScale: number): AslObject {
  const prepared = { ...state };
  if (Array.isArray(state.Retry)) {
    prepared.Retry = (state.Retry as AslObject[]).map((retrier) => ({
      ...retrier,
      ErrorEquals: withHeartbeatAlias(retrier.ErrorEquals),
      IntervalSeconds: ((retrier.IntervalSeconds as number | undefined) ?? DEFAULT_RETRY_INTERVAL_SECONDS) / timeScale,
      ...(typeof retrier.MaxDelaySeconds === 'number' && { MaxDelaySeconds: retrier.MaxDelaySeconds / timeScale }),
    }));
  }
  if (Array.isArray(state.Catch)) {
    prepared.Catch = (state.Catch as AslObject[]).map((catcher) => ({ ...catcher, ErrorEquals: withHeartbeatAlias(catcher.ErrorEquals) }));
  }
  return prepared;
}

function withHeartbeatAlias(errorEquals: unknown): unknown {
  if (!Array.isArray(errorEquals) || !errorEquals.includes('States.Timeout') || errorEquals.includes('States.HeartbeatTimeout')) return errorEquals;
  return [...errorEquals, 'States.HeartbeatTimeout'];
}

function setting<T>(value: unknown, path: unknown): Setting<T> | undefined {
  if (typeof path === 'string') return { path };
  if (value !== undefined) return { value: value as T };
  return undefined;
}

function renderedPaths(settings: Record<string, Setting<unknown> | undefined>): Record<string, Json> {
  const paths: Record<string, Json> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value && 'path' in value) paths[`${key}.$`] = value.path;
  }
  return paths;
}
