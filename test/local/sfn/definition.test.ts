import { describe, expect, it } from 'vitest';
import { prepareDefinition, substituteDefinition } from '../../../local/sfn/definition.js';
import { DefinitionError } from '../../../local/sfn/index.js';

describe('substituteDefinition', () => {
  it('replaces every ${Key} with its value', () => {
    // Act
    const text = substituteDefinition('{"a":"${GrantFunctionArn}","b":"${GrantFunctionArn}","c":"${Other}"}', { GrantFunctionArn: 'arn:g', Other: 'o' });

    // Assess
    expect(JSON.parse(text)).toEqual({ a: 'arn:g', b: 'arn:g', c: 'o' });
  });

  it('names every placeholder left without a value', () => {
    // Act
    const substitute = () => substituteDefinition('["${A}","${B}","${C}"]', { B: 'b' });

    // Assess
    expect(substitute).toThrow(DefinitionError);
    expect(substitute).toThrow('No substitution for ${A}, ${C}');
  });
});

describe('prepareDefinition', () => {
  it('divides Retry intervals and caps by the time scale and lets States.Timeout match heartbeat timeouts', () => {
    // Prepare
    const definition = {
      StartAt: 'Grant',
      States: {
        Grant: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Retry: [{ ErrorEquals: ['IamTransientError'], IntervalSeconds: 2, MaxDelaySeconds: 30 }, { ErrorEquals: ['States.Timeout'] }],
          Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Done' }],
          End: true,
        },
        Done: { Type: 'Succeed' },
      },
    };

    // Act
    const { definition: prepared } = prepareDefinition(definition, 10);

    // Assess
    const grant = (prepared.States as Record<string, Record<string, unknown>>).Grant;
    expect(grant?.Retry).toEqual([
      { ErrorEquals: ['IamTransientError'], IntervalSeconds: 0.2, MaxDelaySeconds: 3 },
      { ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout'], IntervalSeconds: 0.1 },
    ]);
    expect(grant?.Catch).toEqual([{ ErrorEquals: ['States.Timeout', 'States.HeartbeatTimeout'], Next: 'Done' }]);
  });

  it('wraps Parameters so a TimeoutSecondsPath renders against the state input', () => {
    // Prepare
    const parameters = { FunctionName: 'f', Payload: { 'token.$': '$$.Task.Token' } };
    const definition = {
      StartAt: 'Await',
      States: { Await: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: parameters, TimeoutSecondsPath: '$.left', End: true } },
    };

    // Act
    const { definition: prepared, states } = prepareDefinition(definition, 1);

    // Assess
    const state = (prepared.States as Record<string, Record<string, unknown>>).Await;
    expect(state?.Parameters).toEqual({ __local: { 'timeoutSeconds.$': '$.left' }, __input: parameters });
    expect(state?.TimeoutSecondsPath).toBeUndefined();
    expect(states.get('Await')).toEqual({
      kind: 'task',
      stateName: 'Await',
      resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      callback: true,
      lambda: 'invoke',
      timeoutSeconds: { path: '$.left' },
      wrapped: true,
    });
  });

  it('turns Wait states into runtime-driven tasks, including those inside Map and Parallel', () => {
    // Prepare
    const definition = {
      TimeoutSeconds: 900,
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 5, End: true } } },
          Next: 'Both',
        },
        Both: { Type: 'Parallel', Branches: [{ StartAt: 'Later', States: { Later: { Type: 'Wait', SecondsPath: '$.s', End: true } } }], End: true },
      },
    };

    // Act
    const prepared = prepareDefinition(definition, 1);

    // Assess
    expect(prepared.timeoutSeconds).toBe(900);
    expect(prepared.definition.TimeoutSeconds).toBeUndefined();
    expect([...prepared.states.keys()]).toEqual(['Pause', 'Later']);
    expect(prepared.states.get('Later')).toEqual({ kind: 'wait', stateName: 'Later', seconds: { path: '$.s' }, carriesInput: false });
  });

  it('refuses a state name used twice, since handlers are mapped by name', () => {
    // Prepare
    const definition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Step', States: { Step: { Type: 'Pass', End: true } } },
            { StartAt: 'Step', States: { Step: { Type: 'Pass', End: true } } },
          ],
          End: true,
        },
      },
    };

    // Act
    const prepare = () => prepareDefinition(definition, 1);

    // Assess
    expect(prepare).toThrow(/State name Step is used twice/);
  });
});
