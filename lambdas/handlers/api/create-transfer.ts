import { createTransfer } from '../../domain/commands.ts';
import { commandRoute } from '../../shared/api.ts';
import { presentTransfer } from './present.ts';
import { createTransferBody } from './schemas.ts';

/** POST /transfers */
export const { main, handler } = commandRoute({
  body: createTransferBody,
  run: (ports, { ctx, body }) => createTransfer(ports, ctx, body),
  status: 201,
  present: presentTransfer,
});
