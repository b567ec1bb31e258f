import { deposit } from '../../application/commands.ts';
import { ledgerApi } from '../../composition/ledger-api.ts';
import { clientAccountId } from '../../domain/system-ids.ts';
import { commandRoute } from '../../shared/api.ts';
import { presentTransfer } from './present.ts';
import { moneyMovementBody } from './schemas.ts';

/** POST /accounts/{id}/deposits */
export const { main, handler } = commandRoute(ledgerApi, {
  body: moneyMovementBody,
  run: ({ ports }, { ctx, body, pathParameters, transferId }) =>
    deposit(ports, ctx, { ...body, id: transferId(), accountId: clientAccountId(pathParameters.id ?? '') }),
  status: 201,
  present: presentTransfer,
});
