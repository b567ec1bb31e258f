import { expect, inject, it } from 'vitest';

// LocalStack cannot run without Docker and an auth token; a run against another target (or an
// unreachable LocalStack) says so here, as a visible skip with its reason, never as a pass.
const target = inject('targetName');
const unreachable = inject('skipReason');
const skipReason =
  target !== 'localstack'
    ? `TEST_TARGET=${target}; LocalStack needs Docker and LOCALSTACK_AUTH_TOKEN (see README)`
    : unreachable;

it.skipIf(skipReason !== null)(
  `serves the API on LocalStack's REST URL, built from the stage name${skipReason ? ` — SKIPPED: ${skipReason}` : ''}`,
  async () => {
    const apiUrl = inject('apiUrl');
    expect(apiUrl).toMatch(
      /^http:\/\/[a-z0-9]+\.execute-api\.localhost\.localstack\.cloud:\d+\/[A-Za-z0-9_-]+$/,
    );
    const response = await fetch(`${apiUrl}/accounts/does-not-exist`, {
      headers: { 'x-api-key': inject('apiKey') },
    });
    expect(response.status).toBe(404);
  },
);
