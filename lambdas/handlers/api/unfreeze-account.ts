import { unfreezeAccount } from '../../application/commands.ts';
import { ledgerApi } from '../../composition/ledger-api.ts';
import { clientAccountId } from '../../domain/system-ids.ts';
import { commandRoute } from '../../shared/api.ts';
import { presentAccount } from './present.ts';

/** POST /accounts/{id}/unfreeze */
export const { main, handler } = commandRoute(ledgerApi, {
  run: ({ ports }, { ctx, pathParameters }) =>
    unfreezeAccount(ports, ctx, { accountId: clientAccountId(pathParameters.id ?? '') }),
  status: 200,
  present: presentAccount,
});
