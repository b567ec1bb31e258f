import { postTransfer } from '../../application/commands.ts';
import { ledgerApi } from '../../composition/ledger-api.ts';
import { clientTransferId } from '../../domain/system-ids.ts';
import { commandRoute } from '../../shared/api.ts';
import { presentTransfer } from './present.ts';
import { postTransferBody } from './schemas.ts';

/** POST /transfers/{id}/post: posts a pending transfer in full, or `amount` of it. */
export const { main, handler } = commandRoute(ledgerApi, {
  body: postTransferBody,
  run: ({ ports }, { ctx, body, pathParameters }) =>
    postTransfer(ports, ctx, { transferId: clientTransferId(pathParameters.id ?? ''), ...body }),
  status: 200,
  present: presentTransfer,
});
