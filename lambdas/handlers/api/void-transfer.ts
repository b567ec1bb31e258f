import { voidTransfer } from '../../application/commands.ts';
import { ledgerApi } from '../../composition/ledger-api.ts';
import { clientTransferId } from '../../domain/system-ids.ts';
import { commandRoute } from '../../shared/api.ts';
import { presentTransfer } from './present.ts';

/** POST /transfers/{id}/void */
export const { main, handler } = commandRoute(ledgerApi, {
  run: ({ ports }, { ctx, pathParameters }) =>
    voidTransfer(ports, ctx, { transferId: clientTransferId(pathParameters.id ?? '') }),
  status: 200,
  present: presentTransfer,
});
