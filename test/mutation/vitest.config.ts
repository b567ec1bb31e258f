import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The tests Stryker runs against each mutant of lambdas/domain (`npm run test:mutation`): the fast,
 * in-memory tests of the domain only. No DynamoDB Local, no local runtime, no HTTP.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    name: 'mutation',
    include: ['test/unit/domain/**/*.test.ts', 'test/unit/payments/payment-commands.test.ts'],
  },
});
