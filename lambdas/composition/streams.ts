import type { MerchantNotifier } from '../domain/notifications.ts';
import type { ProjectorPorts } from '../domain/projections/projector.ts';
import { perContainer } from './container.ts';
import { conflictBackoff, ledgerPorts } from './ledger.ts';
import { merchantNotifier } from './merchants.ts';
import { readModels } from './read-models.ts';

/** The projector's dependencies: the event store (to fill gaps), the read models, the backoff. */
export type ProjectorDeps = ProjectorPorts;

/** The projector's composition root. */
export const projector = perContainer(
  (): ProjectorDeps => ({ events: ledgerPorts().events, readModels: readModels(), backoff: conflictBackoff }),
);

/** The relay's dependencies: the notifications queue. */
export interface RelayDeps {
  readonly notifier: MerchantNotifier;
}

/** The relay's composition root. */
export const relay = perContainer((): RelayDeps => ({ notifier: merchantNotifier() }));
