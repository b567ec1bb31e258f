import { openAccount } from '../../application/commands.ts';
import { ledgerApi } from '../../composition/ledger-api.ts';
import { commandRoute } from '../../shared/api.ts';
import { presentAccount } from './present.ts';
import { openAccountBody } from './schemas.ts';

/** POST /accounts */
export const { main, handler } = commandRoute(ledgerApi, {
  body: openAccountBody,
  run: ({ ports }, { ctx, body }) => openAccount(ports, ctx, body),
  status: 201,
  present: presentAccount,
});
