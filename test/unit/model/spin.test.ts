/**
 * Runs spin on the models (the `--quick` checks of scripts/model-check.ts): the saga and the projector
 * verify, and every mutant is rejected with a counterexample. Without spin (or gcc) it says so and skips;
 * CI installs spin (.ci/run).
 */
import { describe, expect, it } from 'vitest';
import { CHECKS, missingTool, runCheck } from '../../../scripts/model-check.ts';

const missing = missingTool();

describe.skipIf(missing !== null)('the Promela models, checked by spin', () => {
  for (const check of CHECKS.filter((c) => c.quick)) {
    it(`${check.name}: ${check.expect} (${check.why})`, () => {
      const result = runCheck(check);
      expect({ name: result.name, verdict: result.verdict }).toEqual({
        name: check.name,
        verdict: check.expect,
      });
      if (check.expect === 'counterexample') expect(result.counterexample).toMatch(/assertion violated/);
      else expect(result.statesStored).toBeGreaterThan(1000);
    }, 180_000);
  }
});

describe.runIf(missing !== null)('the Promela models', () => {
  it(`are NOT model-checked here: ${missing ?? 'spin'} is not installed (apt-get install -y spin gcc)`, () => {
    console.warn(`spin.test.ts: ${missing} is missing, so models/*.pml were not checked`);
    expect(missing).not.toBeNull();
  });
});
