import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { STATEMACHINES_DIR } from '../../infra/paths.js';

type State = Record<string, unknown> & { Type: string };
interface Definition {
  StartAt: string;
  States: Record<string, State>;
  QueryLanguage?: string;
}

/** Every state, including those nested in Parallel branches and Map iterators. */
function allStates(definition: Pick<Definition, 'States'>): [string, State][] {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, State],
    ...((state['Branches'] as Definition[] | undefined) ?? []).flatMap(allStates),
    ...[state['ItemProcessor'], state['Iterator']].filter(Boolean).flatMap((inner) => allStates(inner as Definition)),
  ]);
}

/** Placeholders become well-formed ARNs, as CDK's definitionSubstitutions would make them. */
const withDummyArns = (text: string) => text.replace(/\$\{(\w+)\}/g, (_, name: string) => `arn:aws:lambda:eu-west-1:111122223333:function:${name}`);

const files = readdirSync(STATEMACHINES_DIR).filter((f) => f.endsWith('.asl.json'));

/** Tasks whose job is to record a failure: the end of a failure path, so nothing is left to catch to. */
const isRecorder = (name: string) => name.startsWith('Record');

describe.each(files)('%s', (file) => {
  const raw = readFileSync(path.join(STATEMACHINES_DIR, file), 'utf8');
  const definition = JSON.parse(withDummyArns(raw)) as Definition;
  const states = allStates(definition);
  const tasks = states.filter(([, s]) => s.Type === 'Task');

  it('is valid Amazon States Language', () => {
    const { isValid, errorsText } = aslValidator(definition);
    expect(isValid, isValid ? '' : errorsText('\n')).toBe(true);
  });

  it('uses JSONPath only: no JSONata and no variables, which the local runner cannot run', () => {
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const [name, state] of states) {
      expect(state['QueryLanguage'] ?? 'JSONPath', name).toBe('JSONPath');
      expect(state, name).not.toHaveProperty('Assign');
      expect(state, name).not.toHaveProperty('Arguments');
      expect(state, name).not.toHaveProperty('Output');
    }
  });

  it('names states in PascalCase, each once (the local runner maps tasks by name)', () => {
    const names = states.map(([name]) => name);
    for (const name of names) expect(name).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    expect(new Set(names).size).toBe(names.length);
  });

  it('retries every task, and catches every task that is not itself a failure recorder', () => {
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, task] of tasks) {
      expect((task['Retry'] as unknown[] | undefined)?.length ?? 0, `${name} has no Retry`).toBeGreaterThan(0);
      if (!isRecorder(name)) expect((task['Catch'] as unknown[] | undefined)?.length ?? 0, `${name} has no Catch`).toBeGreaterThan(0);
    }
  });

  it('bounds every callback task with a timeout', () => {
    for (const [name, task] of tasks.filter(([, t]) => String(t['Resource']).endsWith('.waitForTaskToken'))) {
      expect('TimeoutSeconds' in task || 'TimeoutSecondsPath' in task, `${name} has no timeout`).toBe(true);
    }
  });
});
