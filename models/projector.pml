/*
 * The projector, model-checked (issue 11, item 7): lambdas/handlers/projectors/projector.ts and
 * lambdas/domain/projections/projector.ts over lambdas/adapters/dynamodb-read-models.ts.
 *
 * One event stream of N events. Each event is its own item, so each one's stream record lands on a
 * shard of its own choosing (two shards here); DynamoDB Streams deliver each shard in order, and the
 * event source mapping runs one poller per shard, concurrently. A poller hands a batch (any prefix of
 * what is past its checkpoint) to the projector; a crash before the checkpoint re-delivers the batch;
 * a partial failure (reportBatchItemFailures) checkpoints before the lowest failed record.
 *
 * The projector, as the code does it: a fresh guard map per batch; a batch whose first event is
 * version 1 assumes the guard is new (no read: assumeNewStreams); otherwise the store's guard cache
 * (per container, forgotten on a failed commit) or a consistent read. It folds every unseen event
 * (a gap is filled from the event store) into ONE commit: the deterministic row puts first (account
 * history: one row per posting, outside the transaction), then one transaction of the guard
 * (conditioned on the version it expected) and the counters (daily totals: ADD, not idempotent). A
 * rejected commit is redone event by event (read the guard again, skip what it has, fill a gap,
 * commit each), at most MAX_GUARD attempts per event, then that stream fails at that version.
 *
 * Properties (ltl safe, -DSAFETY): the read model's guard state is always the fold of the events up
 * to its version, counted once (the counter), and every row written is the one the fold gives. At the
 * end (every record checkpointed) the read model is the fold of the whole event store.
 *
 * Mutant (-DMUTANT_NO_GUARD): the commit ignores the guard's version; spin must reject it.
 */

#define N 3              /* events in the stream */
#define SHARDS 2
#define MAX_GUARD 2      /* MAX_GUARD_ATTEMPTS (8 in the code) */

/* The fold: state' = state * 4 + version, so order and multiplicity both show. */
#define FOLD(v) fold[v]
byte fold[N + 1];             /* the fold of versions 1..v, set once by init */
/* Odd versions are postings: they add to the daily totals' counter. */
#define POSTINGS(v) (((v) + 1) / 2)
#define POSTING(k) ((k) % 2)

/* The event store and the stream. */
byte stored;                  /* events appended: versions 1..stored */
byte rec[SHARDS * N];         /* each shard's records, in order: the event's version */
byte slen[SHARDS];
bool writerDone;

/* The read model (DynamoDB): the guard item, the counter row, the history rows. */
byte gver, gstate;
byte counter;
byte rowval[N + 1];           /* 0: absent; else 1 + the fold state the row was computed from */

byte crashes = 2;             /* Lambda crashes before the checkpoint */
byte moved = 1;               /* transactions cancelled for another reason (a held item) */
byte idle;                    /* pollers with nothing left to do */

#define ROWS_OK (rowval[1] == 0 || rowval[1] == FOLD(0) + 1) && (rowval[2] == 0 || rowval[2] == FOLD(1) + 1) && \
                (rowval[3] == 0 || rowval[3] == FOLD(2) + 1)
#define INV (gstate == FOLD(gver) && counter == POSTINGS(gver) && gver <= stored && ROWS_OK)
#define CAUGHT_UP (gver == N && rowval[1] != 0 && rowval[3] != 0)

ltl safe { [] INV }
ltl caughtUp { <> (idle == SHARDS && CAUGHT_UP) }

proctype Writer() {
  byte s;
  do
  :: stored < N ->
     atomic {
       stored++;
       if :: s = 0 :: s = 1 fi;
       rec[s * N + slen[s]] = stored; slen[s]++
     }
  :: else -> break
  od;
  writerDone = true
}

/*
 * A guarded commit: rows first (deterministic, keyed by posting), then the guard and the counter in one
 * transaction conditioned on the guard's version. `ok` says whether the transaction applied.
 */
inline commit(expected, nver, nstate, rows, adds, ok) {
  atomic {
    j = 1;
    do
    :: j <= N -> if :: rows & (1 << j) -> rowval[j] = rowsFrom[j] :: else fi; j++
    :: else -> break
    od;
    j = 0
  }
  if :: atomic { crashes > 0 -> crashes-- }; goto crashed :: true fi;   /* between the puts and the transaction */
  atomic {
#ifdef MUTANT_NO_GUARD
    if
    :: true -> gver = nver; gstate = nstate; counter = counter + adds; ok = true
    :: moved > 0 -> moved--; ok = false
    fi
#else
    if
    :: gver == expected -> gver = nver; gstate = nstate; counter = counter + adds; ok = true
    :: gver == expected && moved > 0 -> moved--; ok = false   /* TransactionCanceled: held item */
    :: else -> ok = false
    fi
#endif
    /* the store's guard cache: remember what committed, forget on a failure */
    if :: ok -> cv = nver; cs = nstate; cvalid = true :: else -> cvalid = false fi
  }
}

/* Locals back to zero between batches (what the next batch needs is only the container's cache). */
#define RESET i = 0; j = 0; k = 0; fv = 0; bmask = 0; first = 0; attempt = 0; adds = 0; rows = 0; expected = 0; \
  ver = 0; st = 0; ok = false; bver = 0; bst = 0; bvalid = false; e = 0; \
  rowsFrom[1] = 0; rowsFrom[2] = 0; rowsFrom[3] = 0

/* Fold version k into (ver, st), recording its row and counter change. */
#define APPLY(k) rowsFrom[k] = st + 1; rows = rows | (1 << (k)); adds = adds + POSTING(k); st = st * 4 + (k); ver = (k)

proctype Poller(byte s) {
  byte cp, e, i, j, k, bmask, first, fv;
  byte ver, st, expected, adds, rows, attempt;
  byte rowsFrom[N + 1];
  byte bver, bst; bool bvalid;          /* the Projector's guard map (one batch) */
  byte cv, cs; bool cvalid;             /* the store's guard cache (the container's) */
  bool ok;
poll:
  do
  :: atomic { cp < slen[s] ->
       e = cp + 1;
       do :: e < slen[s] -> e++ :: break od;
       bmask = 0; i = cp;
       do :: i < e -> bmask = bmask | (1 << rec[s * N + i]); i++ :: else -> break od;
       first = 1; do :: (bmask & (1 << first)) == 0 -> first++ :: else -> break od;
       i = 0; bvalid = false; fv = 0
     }
     /* projectBatch: plan one commit of every unseen event */
     atomic {
       if
       :: first == 1 -> ver = 0; st = 0                       /* assumeNewStreams */
       :: else -> if :: cvalid -> ver = cv; st = cs :: else -> ver = gver; st = gstate; cv = ver; cs = st; cvalid = true fi
       fi;
       expected = ver; adds = 0; rows = 0; k = 1;
       do
       :: k <= N && (bmask & (1 << k)) && k > ver ->
          do :: ver + 1 < k -> APPLY(ver + 1) :: else -> break od;   /* a gap: read from the event store */
          APPLY(k); k++
       :: k <= N && !((bmask & (1 << k)) && k > ver) -> k++
       :: else -> break
       od
     }
     if
     :: ver == expected -> skip                                 /* nothing unseen */
     :: else ->
        commit(expected, ver, st, rows, adds, ok);
        if
        :: ok -> bver = ver; bst = st; bvalid = true
        :: else ->
           /* redo event by event */
           bvalid = false; k = 1;
           do
           :: k <= N && (bmask & (1 << k)) ->
              attempt = 1;
              do
              :: atomic {
                   if
                   :: bvalid -> ver = bver; st = bst
                   :: else -> if :: cvalid -> ver = cv; st = cs :: else -> ver = gver; st = gstate; cv = ver; cs = st; cvalid = true fi;
                      bver = ver; bst = st; bvalid = true
                   fi
                 }
                 if
                 :: k <= ver -> break                            /* skipped */
                 :: else ->
                    /* gap-filled one by one, then the event; a moved guard means read and try again */
                    do
                    :: ver < k ->
                       atomic { expected = ver; adds = 0; rows = 0; APPLY(ver + 1) }
                       commit(expected, ver, st, rows, adds, ok);
                       if
                       :: ok -> bver = ver; bst = st
                       :: else -> bvalid = false; break
                       fi
                    :: else -> break
                    od;
                    if
                    :: ok && ver == k -> break
                    :: !ok && attempt < MAX_GUARD -> attempt++
                    :: !ok && attempt >= MAX_GUARD -> fv = k; goto report
                    fi
                 fi
              od;
              k++
           :: k <= N && !(bmask & (1 << k)) -> k++
           :: else -> break
           od
        fi
     fi;
report:
     /* a crash after the commits, before the checkpoint: the batch comes again */
     if :: atomic { crashes > 0 -> crashes-- }; goto crashed :: true fi;
     /* the checkpoint: past the batch, or before the lowest record of a version that failed */
     atomic {
       if
       :: fv == 0 -> cp = e
       :: else ->
          i = cp;
          do :: i < e && rec[s * N + i] < fv -> i++ :: else -> break od;
          cp = i
       fi;
       RESET
     }
     goto poll;
crashed:
     /* the invocation died: nothing checkpointed, the same records come again */
     atomic { RESET }
  :: atomic { writerDone && cp == slen[s] -> idle++; break }
  od
}

init {
  atomic { fold[1] = 1; fold[2] = 6; fold[3] = 27; run Writer(); run Poller(0); run Poller(1) }
  (idle == SHARDS);
  assert(INV);
  assert(CAUGHT_UP)
}
