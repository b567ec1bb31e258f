import { createTransfer } from '../../application/commands.ts';
import { ledgerApi } from '../../composition/ledger-api.ts';
import { clientAccountId, clientTransferId } from '../../domain/system-ids.ts';
import { commandRoute } from '../../shared/api.ts';
import { presentTransfer } from './present.ts';
import { createTransferBody } from './schemas.ts';

/** POST /transfers: between accounts the tenant opened; system accounts and ids are the ledger's own. */
export const { main, handler } = commandRoute(ledgerApi, {
  body: createTransferBody,
  run: ({ ports }, { ctx, body, transferId }) =>
    createTransfer(ports, ctx, {
      ...body,
      // A client-given id wins; otherwise the request's own (derived from its Idempotency-Key).
      id: body.id === undefined ? transferId() : clientTransferId(body.id),
      debitAccountId: clientAccountId(body.debitAccountId),
      creditAccountId: clientAccountId(body.creditAccountId),
    }),
  status: 201,
  present: presentTransfer,
});
