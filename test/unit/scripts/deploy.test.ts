import { describe, expect, it } from 'vitest';
import { cdkDeployArgs, deploySummary, parseDeployArgs } from '../../../scripts/deploy.ts';

describe('npm run deploy', () => {
  it('needs the stage named: there is no default', () => {
    expect(parseDeployArgs([])).toEqual({ error: expect.stringContaining('--stage') });
    expect(parseDeployArgs(['--profile', 'x'])).toEqual({ error: expect.stringContaining('--stage') });
    expect(parseDeployArgs(['-c', 'ledgerline:stage=prod'])).toEqual({
      error: expect.stringContaining('--stage'),
    });
  });

  it('passes the stage as context and every other option to cdk deploy unchanged', () => {
    const args = parseDeployArgs(['--stage', 'prod', '-c', 'ledgerline:processorUrl=https://p.example/']);
    expect(args).toEqual({ stage: 'prod', cdkArgs: ['-c', 'ledgerline:processorUrl=https://p.example/'] });
    expect(parseDeployArgs(['--stage=dev'])).toEqual({ stage: 'dev', cdkArgs: [] });
    expect(cdkDeployArgs('prod', ['--profile', 'ops'], '/o.json')).toEqual([
      'deploy',
      'Ledgerline',
      '--require-approval',
      'broadening',
      '-c',
      'ledgerline:stage=prod',
      '--outputs-file',
      '/o.json',
      '--profile',
      'ops',
    ]);
  });

  it('prints the API URL and the dashboard link from the outputs, and says when one is missing', () => {
    expect(deploySummary('prod', { ApiUrl: 'https://a/prod/', DashboardUrl: 'https://console/d' })).toEqual([
      'Stage prod deployed.',
      'API        https://a/prod/',
      'Dashboard  https://console/d',
    ]);
    expect(deploySummary('dev', {})[2]).toBe('Dashboard  (no DashboardUrl output)');
  });
});
