import type { ApiModel, ApiRoute } from '../../local/api-model.ts';

/** The smallest REST API model the local gateway serves: stage `test`, header keys, no keys, these routes. */
export function apiModelOf(routes: readonly ApiRoute[]): ApiModel {
  return {
    restApiId: 'api1',
    name: 'test',
    stageName: 'test',
    stageVariables: null,
    apiKeySource: 'HEADER',
    keys: [],
    notices: [],
    routes,
  };
}
