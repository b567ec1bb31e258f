/*
 * The payment settlement saga, model-checked (issue 11, item 7).
 *
 * What is modelled, and where it lives in the code:
 * - proctype Saga: statemachines/payment-settlement.asl.json. Every ASL state is a label of the same
 *   name; every Task state is one TASK(step, maxAttempts, Next, Catch BusinessRejectionError,
 *   Catch States.ALL) line, so test/unit/model/asl-drift.test.ts can read the edges back and compare
 *   them with the ASL (Retry: BusinessRejectionError MaxAttempts 0, the transient errors
 *   MaxAttempts n; Catch: BusinessRejectionError, then States.ALL). "Ended" is the ASL's End: true.
 * - proctype Invocation: one Lambda invocation of a saga task (lambdas/handlers/saga/*.ts, which run
 *   lambdas/application/payments/commands.ts through paymentStep): load the payment stream, return
 *   at once when the step's event is there (isDone), guard, decide (the processor call, if any), then
 *   ONE append of the step's events and money legs conditioned on the payment stream's version
 *   (retryOnConflict reloads and decides again; its attempts are fewer here than in the code).
 * - The processor (lambdas/handlers/sandbox/processor.ts): captures and refunds are idempotent by
 *   key; a refund of a capture it never saw tombstones the capture key (a later capture is declined).
 * - Faults, from a finite budget so every run ends: a DynamoDB error on load or append, an append
 *   that applied but whose answer was lost, the processor unavailable before or after it acted, a
 *   crash between a side effect and its acknowledgement (States.Timeout / Lambda.ServiceException),
 *   an invocation the state machine gave up on that keeps running (Lambda.SdkClientException: a
 *   duplicate delivery of the step, racing the rest of the saga), an outage that outlasts a state's
 *   whole Retry (then its Catch States.ALL), the processor's capture webhook (confirmCapture) racing the saga.
 * - The operator: after CompensationFailed or NotificationFailed, `npm run saga:resume` (a new execution
 *   entering at Route), a bounded number of times: `notify` after NotificationFailed or for a payment that
 *   `saga show` says is settled, else `compensate`.
 *
 * Properties: ltl safe (with -DSAFETY): money is never paid out by the ledger unless the card's net
 * charge covers it, nothing is posted or captured twice, double entry holds; the final assertions
 * and ltl terminal (acceptance run): every payment ends settled and notified, or failed with its
 * compensations complete (no pending reservation, the card's capture refunded).
 *
 * Mutants (-D at `spin -a`), each must be rejected with a counterexample:
 * - MUTANT_CAPTURE_NO_IDEMPOTENCY: every capture attempt sends a fresh processor idempotency key.
 * - MUTANT_REFUND_BEFORE_FENCE: RefundAtProcessor calls the processor before any write fences off a
 *   late PostTransfer (the code before the fix this model found).
 * Known bug, open (-DOPERATOR_FOLLOWS_CAUSE, rejected too): the operator resumes `compensate` as the
 * CompensationFailed Cause says, also for a payment that settled (PostTransfer's answer lost, its retries
 * out); compensating a settled payment always fails, so the merchant is never notified.
 * Budgets: -DFAULTS=n (default 2), -DDETACHED=n (default 1).
 */

/* Steps (the ASL Task states, plus the processor's capture webhook). */
#define RESERVE     1
#define ASSESS      2
#define CAPTURE     3
#define POST        4
#define NOTIFY      5
#define COMPLETE    6
#define REFUND      7
#define VOID        8
#define MARKFAILED  9
#define CONFIRM    10

/* A task's answer as the state machine sees it. */
#define OK        1
#define BIZ       2   /* BusinessRejectionError */
#define TRANSIENT 3   /* anything else: retried, then Catch States.ALL */

/* The payment stream's events, one bit each (the payment's state is what they say). */
#define EV_RESERVED   1     /* FundsReserved */
#define EV_APPROVED   2     /* RiskAssessed approved */
#define EV_REJECTED   4     /* RiskAssessed rejected */
#define EV_CAPTURED   8     /* PaymentCaptured */
#define EV_SETTLED   16     /* PaymentSettled */
#define EV_VOIDED    32     /* ReservationVoided */
#define EV_REFUNDED  64     /* CaptureRefunded refunded */
#define EV_NOTHING  128     /* CaptureRefunded nothing-to-refund */
#define EV_FAILED   256     /* PaymentFailed */
#define EV_NOTIFIED 512     /* MerchantNotificationRequested payment.settled */
#define EV_FENCED  1024     /* CompensationStarted: the compensation fences off forward steps */

#define HAS(p, e) (((p) & (e)) != 0)
#define COMPENSATING(p) HAS(p, EV_FAILED | EV_VOIDED | EV_REFUNDED | EV_NOTHING | EV_FENCED)
#define CAPTURE_REFUNDED(p) HAS(p, EV_REFUNDED | EV_NOTHING)
/* PaymentState.status */
#define ST_PENDING  0
#define ST_RESERVED 1
#define ST_CAPTURED 2
#define ST_SETTLED  3
#define ST_FAILED   4
#define STATUS(p) (HAS(p, EV_FAILED) -> ST_FAILED : (HAS(p, EV_SETTLED) -> ST_SETTLED : \
                  (HAS(p, EV_CAPTURED) -> ST_CAPTURED : (HAS(p, EV_RESERVED) -> ST_RESERVED : ST_PENDING))))

/* The reserve transfer (<paymentId>-reserve). */
#define T_NONE    0
#define T_PENDING 1
#define T_POSTED  2
#define T_VOIDED  3

/* The processor's record under the capture key. */
#define CAP_NONE       0
#define CAP_CAPTURED   1
#define CAP_DECLINED   2
#define CAP_TOMBSTONED 3
/* ... and under the capture-refund key. */
#define REF_NONE      0
#define REF_REFUNDED  1
#define REF_NOTHING   2

/* Saga execution outcomes, and how an execution starts (input.resume). */
#define O_SUCCEEDED     1
#define O_COMPENSATED   2
#define O_COMP_FAILED   3
#define O_NOTIF_FAILED  4
#define START      0
#define COMPENSATE 1
#define NOTIFY_ME  2

/* The event store: the payment stream, and the money legs appended with it. */
short pay;          /* the payment stream's events */
byte pver;          /* its version: every append is conditioned on it */
byte reserveT;      /* the reserve transfer */
byte posts;         /* postings of the reserve transfer (PendingTransferPosted) */
byte payouts;       /* payout legs clearing -> merchant (and fees) */
int payer, clearing, merchant;   /* posted balances: credits - debits, in units of the amount */
int payerPending;   /* the payer's debitsPending */

/* The processor. */
byte capKey, refKey;
byte charges;       /* captures that charged the card */
byte refunds;       /* refunds that gave it back */

/* The world's answers, chosen once. */
bool funds, riskOk, cardOk;

/* Fault budgets (-DFAULTS=3 … for a deeper run). */
#ifndef FAULTS
#define FAULTS 2
#endif
#ifndef DETACHED
#define DETACHED 1
#endif
byte faults = FAULTS;     /* single transient faults */
byte detach = DETACHED;   /* invocations the state machine stops waiting for */
byte outage = 1;          /* outages that outlast a state's Retry */
byte resumes = 1;         /* operator resumes */

bool sagaOver;
bool whDone;       /* the webhook worker has delivered */
byte live;         /* invocations running */
chan sink = [4] of { byte };   /* answers nobody waits for */
chan done = [1] of { byte };

#define LEDGER_PAID posts
#define CARD_NET (charges - refunds)
/* Always: double entry; nothing posted or paid out twice; no double charge; never paid out unbacked. */
#define INV (payer + clearing + merchant == 0 && posts <= 1 && payouts <= 1 && charges <= 1 && \
             refunds <= charges && LEDGER_PAID <= CARD_NET && \
             !(HAS(pay, EV_SETTLED) && HAS(pay, EV_FAILED)))
/* At the end: settled and notified with the card charged once, or failed and fully compensated. */
#define SETTLED_OK (HAS(pay, EV_SETTLED) && HAS(pay, EV_NOTIFIED) && posts == 1 && CARD_NET == 1)
#define FAILED_OK (HAS(pay, EV_FAILED) && !HAS(pay, EV_SETTLED) && reserveT != T_PENDING && \
                   payerPending == 0 && posts == 0 && CARD_NET == 0)
#define TERMINAL (sagaOver && (SETTLED_OK || FAILED_OK))

ltl safe { [] INV }
ltl terminal { <> TERMINAL }

/* A fault from the budget, or none. */
#define FAULT (faults > 0) -> faults--

/*
 * The processor, one atomic request each (its own conditional writes serialize them per key).
 * `lost`: it acted, but the answer never came back (timeout): ProcessorUnavailableError.
 */
inline processorCapture(ans) {
  atomic {
#ifdef MUTANT_CAPTURE_NO_IDEMPOTENCY
    if
    :: cardOk && capKey != CAP_TOMBSTONED -> capKey = CAP_CAPTURED; charges++; ans = OK
    :: else -> if :: capKey == CAP_NONE -> capKey = CAP_DECLINED :: else fi; ans = BIZ
    fi
#else
    if
    :: capKey == CAP_NONE && cardOk -> capKey = CAP_CAPTURED; charges++
    :: capKey == CAP_NONE && !cardOk -> capKey = CAP_DECLINED
    :: else
    fi;
    ans = (capKey == CAP_CAPTURED -> OK : BIZ)
#endif
  }
}

inline processorRefund(ans) {
  atomic {
    if
    :: refKey == REF_NONE && capKey == CAP_CAPTURED -> refKey = REF_REFUNDED; refunds++
    :: refKey == REF_NONE && capKey == CAP_NONE -> capKey = CAP_TOMBSTONED; refKey = REF_NOTHING
    :: refKey == REF_NONE && capKey != CAP_NONE && capKey != CAP_CAPTURED -> refKey = REF_NOTHING
    :: else
    fi;
    ans = refKey
  }
}

/* The processor's answer may never come back: unavailable before it acted, or it acted and then timed out. */
#define PROCESSOR_FAULT(call) \
  if \
  :: FAULT; res = TRANSIENT; goto answer \
  :: FAULT; call(ans); res = TRANSIENT; goto answer \
  :: true \
  fi

/* One invocation of a saga task (or of the webhook worker's confirmCapture). */
proctype Invocation(byte step; chan reply) {
  short seen, add;
  byte v, rt, res, ans, tx, tries;
  bool fencing;
load:
  /* Load the payment stream (one consistent read), then decide: local, so one atomic step. */
  atomic {
    res = OK; add = 0; tx = T_NONE; ans = 0;
    if
    :: FAULT; res = TRANSIENT; goto answer        /* DynamoDbAdapterError on the load */
    :: true
    fi;
    seen = pay; v = pver; rt = reserveT;
    if
    :: step == RESERVE ->
       if :: HAS(seen, EV_RESERVED) -> goto verify :: else fi;
       if :: COMPENSATING(seen) || !funds -> res = BIZ; goto answer :: else fi;   /* InsufficientFundsError */
       add = EV_RESERVED; tx = T_PENDING
    :: step == ASSESS ->
       if :: HAS(seen, EV_APPROVED | EV_REJECTED) -> goto verify :: else fi;
       if :: COMPENSATING(seen) || STATUS(seen) != ST_RESERVED -> res = BIZ; goto answer :: else fi;
       add = (riskOk -> EV_APPROVED : EV_REJECTED)
    :: step == CAPTURE ->
       if :: HAS(seen, EV_CAPTURED) -> goto verify :: else fi;
       if
       :: COMPENSATING(seen) || STATUS(seen) != ST_RESERVED || !HAS(seen, EV_APPROVED) -> res = BIZ; goto answer
       :: else
       fi;
       add = EV_CAPTURED
    :: step == POST ->
       if :: HAS(seen, EV_SETTLED) -> goto verify :: else fi;
       if
       :: COMPENSATING(seen) || STATUS(seen) != ST_CAPTURED || rt != T_PENDING -> res = BIZ; goto answer
       :: else
       fi;
       add = EV_SETTLED; tx = T_POSTED
    :: step == NOTIFY ->
       if :: HAS(seen, EV_NOTIFIED) -> goto verify :: else fi;
       if :: STATUS(seen) != ST_SETTLED -> res = BIZ; goto answer :: else fi;
       add = EV_NOTIFIED
    :: step == COMPLETE -> goto verify
    :: step == REFUND ->
       if :: CAPTURE_REFUNDED(seen) -> goto verify :: else fi;
       if :: STATUS(seen) == ST_SETTLED -> res = BIZ; goto answer :: else fi;
       if :: !HAS(seen, EV_APPROVED) -> goto verify :: else fi;   /* capture never attempted */
#ifndef MUTANT_REFUND_BEFORE_FENCE
       /* First an append that fences off every forward step (CompensationStarted), then the processor. */
       if :: !HAS(seen, EV_FENCED) -> add = EV_FENCED; fencing = true; goto append :: else fi;
#endif
       add = EV_REFUNDED   /* or EV_NOTHING: the processor says */
    :: step == VOID ->
       if :: HAS(seen, EV_VOIDED) -> goto verify :: else fi;
       if :: STATUS(seen) == ST_SETTLED -> res = BIZ; goto answer :: else fi;
       add = EV_VOIDED; tx = (rt == T_PENDING -> T_VOIDED : T_NONE)
    :: step == MARKFAILED ->
       if :: HAS(seen, EV_FAILED) -> goto verify :: else fi;
       if
       :: STATUS(seen) == ST_SETTLED || (HAS(seen, EV_RESERVED) && !HAS(seen, EV_VOIDED)) -> res = BIZ; goto answer
       :: else
       fi;
       add = EV_FAILED
    :: step == CONFIRM ->
       if :: HAS(seen, EV_CAPTURED) -> goto verify :: else fi;
       if
       :: (HAS(seen, EV_FAILED) || CAPTURE_REFUNDED(seen)) && !HAS(seen, EV_REFUNDED) -> res = BIZ; goto answer
       :: else
       fi;
       if :: HAS(seen, EV_FAILED) || CAPTURE_REFUNDED(seen) -> goto verify :: else fi;
       add = EV_CAPTURED
    fi
  }
  /* The processor, for the two steps that call it. */
  if
  :: step == CAPTURE ->
     atomic {
       PROCESSOR_FAULT(processorCapture);
       processorCapture(ans);
       if :: ans == BIZ -> res = BIZ; goto answer :: else fi   /* PaymentDeclinedError */
     }
  :: step == REFUND ->
     atomic {
       PROCESSOR_FAULT(processorRefund);
       processorRefund(ans);
       add = (ans == REF_REFUNDED -> EV_REFUNDED : EV_NOTHING)
     }
  :: else
  fi;
append:
  /* A crash before the append (after the processor acted), or the one conditional append
   * (TransactWriteItems) of the payment's events and money legs; its answer may be lost. */
  atomic {
    if
    :: FAULT; res = TRANSIENT; goto answer
    :: true
    fi;
    if
    :: pver == v ->
       pay = pay | add; pver++; seen = pay;
       if
       :: tx == T_PENDING -> reserveT = T_PENDING; payerPending++
       :: tx == T_POSTED -> reserveT = T_POSTED; payerPending--; posts++; payer--; clearing++;
          payouts++; clearing--; merchant++
       :: tx == T_VOIDED -> reserveT = T_VOIDED; payerPending--
       :: tx == T_NONE
       fi;
       if
       :: FAULT; res = TRANSIENT; goto answer    /* applied, but the answer was lost */
       :: fencing -> fencing = false; goto load  /* fenced: now the processor */
       :: else
       fi
    :: else ->
       /* ConcurrencyConflictError: retryOnConflict reloads and decides again, a bounded number of times. */
       if
       :: tries < 1 -> tries++; goto load
       :: else -> res = TRANSIENT; goto answer
       fi
    fi
  }
verify:
  atomic {
    if
    :: step == ASSESS && HAS(seen, EV_REJECTED) -> res = BIZ       /* RiskRejectedError */
    :: step == COMPLETE && !(HAS(seen, EV_SETTLED) && HAS(seen, EV_NOTIFIED)) -> res = BIZ
    :: else
    fi
  }
answer:
  atomic { reply ! res; live--; seen = 0; add = 0; v = 0; rt = 0; ans = 0; tx = 0; tries = 0; fencing = false }
}

/*
 * A Task state: invoke, and on a transient error retry up to `retries` times (the ASL's MaxAttempts of
 * the transient retrier); an outage may outlast the retries. The state machine may stop waiting for an
 * invocation (Lambda.SdkClientException) that then keeps running.
 */
#define TASK(step, retries, onOk, onBiz, onAll) \
  attempt = 0; \
  do \
  :: if \
     :: atomic { live++; run Invocation(step, reply) }; reply ? res \
     :: atomic { detach > 0 -> detach--; live++; run Invocation(step, sink) }; res = TRANSIENT \
     fi; \
     if \
     :: res == TRANSIENT && attempt < retries -> attempt++ \
     :: res == TRANSIENT && outage > 0 -> outage--; break \
     :: else -> break \
     fi \
  od; \
  if \
  :: res == OK -> goto onOk \
  :: res == BIZ -> goto onBiz \
  :: else -> goto onAll \
  fi

/* One execution of statemachines/payment-settlement.asl.json. */
proctype Saga(byte mode) {
  chan reply = [1] of { byte };
  byte res, attempt;
Route:
  if
  :: mode == COMPENSATE -> goto RefundAtProcessor
  :: mode == NOTIFY_ME -> goto NotifyMerchant
  :: else -> goto ReserveFunds
  fi;
ReserveFunds:      TASK(RESERVE, 4, AssessRisk, MarkPaymentFailed, VoidReservation);
AssessRisk:        TASK(ASSESS, 4, CaptureAtProcessor, VoidReservation, VoidReservation);
CaptureAtProcessor: TASK(CAPTURE, 4, PostTransfer, VoidReservation, RefundAtProcessor);
PostTransfer:      TASK(POST, 4, NotifyMerchant, RefundAtProcessor, RefundAtProcessor);
NotifyMerchant:    TASK(NOTIFY, 4, Complete, NotificationFailed, NotificationFailed);
Complete:          TASK(COMPLETE, 4, Ended, NotificationFailed, NotificationFailed);
RefundAtProcessor: TASK(REFUND, 6, VoidReservation, CompensationFailed, CompensationFailed);
VoidReservation:   TASK(VOID, 6, MarkPaymentFailed, CompensationFailed, CompensationFailed);
MarkPaymentFailed: TASK(MARKFAILED, 6, PaymentCompensated, CompensationFailed, CompensationFailed);
CompensationFailed:
  done ! O_COMP_FAILED; goto finish;
NotificationFailed:
  done ! O_NOTIF_FAILED; goto finish;
PaymentCompensated:
  done ! O_COMPENSATED; goto finish;
Ended:
  done ! O_SUCCEEDED;
finish:
  skip
}

/* The processor's capture webhook (issue 6): its delivery races the saga. */
proctype Webhook() {
end:
  capKey == CAP_CAPTURED;
  atomic { live++; run Invocation(CONFIRM, sink) };
  whDone = true
}

init {
  byte outcome;
  if :: funds = true :: funds = false fi;
  if :: riskOk = true :: riskOk = false fi;
  if :: cardOk = true :: cardOk = false fi;
  atomic { pay = 0; pver = 1; run Saga(START); run Webhook() }
  done ? outcome;
  do
#ifdef OPERATOR_FOLLOWS_CAUSE
  :: outcome == O_COMP_FAILED && resumes > 0 -> resumes--; run Saga(COMPENSATE); done ? outcome
#else
  /* The operator reads `ledgerline saga show` first: a settled payment is resumed at the notification. */
  :: outcome == O_COMP_FAILED && resumes > 0 && !HAS(pay, EV_SETTLED) ->
     resumes--; run Saga(COMPENSATE); done ? outcome
  :: outcome == O_COMP_FAILED && resumes > 0 && HAS(pay, EV_SETTLED) ->
     resumes--; run Saga(NOTIFY_ME); done ? outcome
#endif
  :: outcome == O_NOTIF_FAILED && resumes > 0 -> resumes--; run Saga(NOTIFY_ME); done ? outcome
  :: else -> break
  od;
  /* Every invocation has finished, the webhook's included (it fires only for a capture). */
  (live == 0 && (whDone || capKey != CAP_CAPTURED));
  sagaOver = true;
  assert(INV);
  assert(SETTLED_OK || FAILED_OK)
}
