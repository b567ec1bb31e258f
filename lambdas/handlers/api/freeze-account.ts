import { freezeAccount } from '../../application/commands.ts';
import { ledgerApi } from '../../composition/ledger-api.ts';
import { clientAccountId } from '../../domain/system-ids.ts';
import { commandRoute } from '../../shared/api.ts';
import { presentAccount } from './present.ts';
import { freezeAccountBody } from './schemas.ts';

/** POST /accounts/{id}/freeze */
export const { main, handler } = commandRoute(ledgerApi, {
  body: freezeAccountBody,
  run: ({ ports }, { ctx, body, pathParameters }) =>
    freezeAccount(ports, ctx, { accountId: clientAccountId(pathParameters.id ?? ''), reason: body.reason }),
  status: 200,
  present: presentAccount,
});
