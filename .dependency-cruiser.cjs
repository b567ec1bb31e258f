/** Dependency rules: the domain imports nothing outward, and nothing forms a cycle. */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make modules impossible to reason about in isolation.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'lambdas/domain may import only lambdas/domain (no AWS SDK, no Node I/O, no adapters).',
      from: { path: '^lambdas/domain/' },
      to: { pathNot: '^lambdas/domain/' },
    },
    {
      name: 'adapters-not-handlers',
      severity: 'error',
      comment: 'Dependencies point inward: adapters never import handlers.',
      from: { path: '^lambdas/adapters/' },
      to: { path: '^lambdas/handlers/' },
    },
    {
      name: 'no-lambda-imports-cdk',
      severity: 'error',
      comment: 'Lambda code must not pull in the CDK (it would land in the bundle).',
      from: { path: '^lambdas/' },
      to: { path: '(^|/)node_modules/(aws-cdk-lib|constructs)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
    exclude: { path: ['cdk\\.out', 'node_modules'] },
  },
};
