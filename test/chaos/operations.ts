/** The catalogue of operations a chaos run draws from. */
import fc from 'fast-check';
import {
  amountArb,
  type Cmd,
  indexArb,
  moneyMovement,
  openAccount,
  resolve,
  statusChange,
  transfer,
} from './commands.ts';
import { closeDispute, openDispute, payment, refund } from './commands-async.ts';
import { CURRENCIES, type Kind } from './model.ts';

const currencyArb = fc.constantFrom(...CURRENCIES);

/** Every operation, weighted: money moves most, lifecycle changes and disputes now and then. */
export function allCommands(): fc.Arbitrary<Cmd>[] {
  return [
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .tuple(fc.constantFrom<Kind>('customer', 'customer', 'merchant'), currencyArb)
          .map(([k, c]) => openAccount(k, c)),
      },
      {
        weight: 5,
        arbitrary: fc
          .tuple(indexArb, fc.integer({ min: 1, max: 20_000 }), fc.boolean())
          .map(([i, a, x]) => moneyMovement('deposit', i, a, x && i % 10 === 0)),
      },
      {
        weight: 3,
        arbitrary: fc.tuple(indexArb, amountArb).map(([i, a]) => moneyMovement('withdrawal', i, a, false)),
      },
      {
        weight: 6,
        arbitrary: fc
          .tuple(indexArb, indexArb, amountArb, fc.boolean())
          .map(([f, t, a, p]) => transfer(f, t, a, p)),
      },
      {
        weight: 3,
        arbitrary: fc
          .tuple(indexArb, fc.option(amountArb, { nil: null }))
          .map(([i, a]) => resolve(i, 'post', a)),
      },
      { weight: 2, arbitrary: indexArb.map((i) => resolve(i, 'void', null)) },
      { weight: 2, arbitrary: fc.tuple(indexArb, indexArb, amountArb).map(([p, q, a]) => payment(p, q, a)) },
      { weight: 1, arbitrary: fc.tuple(indexArb, amountArb).map(([i, a]) => refund(i, a)) },
      { weight: 1, arbitrary: fc.tuple(indexArb, amountArb).map(([i, a]) => openDispute(i, a)) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(indexArb, fc.constantFrom<'won' | 'lost'>('won', 'lost'))
          .map(([i, o]) => closeDispute(i, o)),
      },
      { weight: 1, arbitrary: indexArb.map((i) => statusChange(i, 'frozen')) },
      { weight: 1, arbitrary: indexArb.map((i) => statusChange(i, 'open')) },
    ),
  ];
}
