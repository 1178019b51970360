// Package ordering runs a batch of records through a Handler so that records
// sharing a partition are processed strictly one after another, in delivery
// order, while different partitions run concurrently (at most
// Options.MaxConcurrentPartitions at once).
//
// It knows nothing about what the records mean nor where they come from:
// package source turns Kinesis and SQS FIFO Lambda events into Records and
// the outcomes back into partial batch responses, so any Go Lambda can get
// these semantics by writing a per-record Handler (or a HandlerFunc):
//
//	engine, err := ordering.New(ordering.HandlerFunc(handle), ordering.Options{Poison: sink})
//	if err != nil {
//		log.Fatal(err)
//	}
//	lambda.Start(source.NewHandler(engine, source.HandlerOptions{}).Invoke)
//
// # What a Handler returns
//
//   - nil: the record is done (Succeeded).
//   - An error marked with failure.Permanent: retrying cannot help (a
//     malformed payload, a request the downstream rejects). The record is
//     handed to the PoisonSink with the error and ends Poisoned; the next
//     record of its partition runs, since a record that can never succeed
//     must not block the ones behind it. If the sink itself fails, the record
//     ends Failed instead, so that it is retried rather than lost.
//   - Any other error, or a panic (the engine recovers it as a *PanicError):
//     transient. The record ends Failed, and every later record of its
//     partition in the batch ends Skipped with ErrPartitionBlocked, because
//     running them would let them overtake it. Other partitions carry on.
//
// Handle is never called for two records of the same partition at once, so
// a read-modify-write keyed by the partition cannot lose an update. It is
// called concurrently for different partitions.
//
// Handlers must be idempotent: applying a record again, in order, must leave
// the same result as applying it once. Event sources deliver at least once,
// and a Kinesis retry redelivers everything after its checkpoint, including
// records of other partitions that had already succeeded (see below).
//
// # A key that fails on its own, and an outage
//
// Each transient handler failure is classified (Result.Scopes):
// KeyFailure when another key (the SerializeBy key, or the partition) has
// succeeded in this Engine since the failing key began failing, within the
// evidence window; WideFailure otherwise, which includes a first failure.
// With Options.Isolation, a record whose failure is a KeyFailure and which
// is at least Isolation.After old (Record.Arrived) goes to the
// IsolationSink and ends Isolated, not redelivered, and its chain carries
// on: one broken key then blocks its neighbours for about After, not until
// the source gives up. A WideFailure never isolates anything: the source
// holds the records (an SQS source holds them longer, see package
// visibility). Isolation breaks the partition's order for that record,
// so use it only when the final state does not depend on order (orderly:
// the stamp guard), and redrive isolated records once the key recovers.
//
// # Serializing on a key besides the partition
//
// When the unit of work is not quite the delivery partition (orderly's
// consumer: the schedule period, which a mis-keyed producer might spread
// over several partitions), Options.SerializeBy names it. Records that share
// a partition or a key then form one chain and run one after another in
// delivery order, and a failure skips the rest of the chain, in every
// partition it joined. Each key seen under more than one partition is
// logged and listed in Result.SplitKeys, because separate invocations can
// still run it concurrently.
//
// # Outcomes, and what the source is told
//
// Process returns one Outcome per record, index-aligned with its input. It
// never stops early: every record ends Succeeded, Poisoned, Isolated,
// Failed or Skipped, so the source can always be told precisely what to redeliver.
// Outcome.Retry is true for Failed and Skipped. Package source reports them
// as follows:
//
//   - Kinesis: only the sequence number of the earliest record (in batch
//     order) to retry. Lambda checkpoints just before it and redelivers the
//     shard from there, in order; listing later records would add nothing.
//   - SQS FIFO: every message to retry, which is the failed message and the
//     rest of its message group; the messages of other groups are done.
//
// # The deadline margin
//
// A record starts only while the context's deadline (in Lambda, the
// invocation's) is at least Options.DeadlineMargin away, DefaultDeadlineMargin
// by default. Otherwise the record and the rest of its partition end Skipped
// with ErrDeadlineNear, and the next invocation picks them up, so a timeout
// never cuts a record off halfway through its work. The margin must cover
// the slowest record (with its retries) plus returning the response. A
// context without a deadline never stops the engine; a canceled context
// skips the remaining records with ErrCanceled.
//
// # Coalescing
//
// When each record costs a round trip downstream (orderly's consumer: a
// fetch and a push of the period's document), records that share a
// serialization key can share it. With Options.Coalesce, a Handler that
// also implements ChunkHandler is offered chunks: runs of consecutive
// records of one chain that share an Options.SerializeBy key, in delivery
// order, at most Options.MaxChunk of them (DefaultMaxChunk). HandleChunk
// takes on a prefix of the chunk (ChunkResult.Handled, at least one
// record) and processes it as if Handle had been called for each record in
// turn; the engine offers the rest again as the next chunk. Coalescing
// never changes an outcome:
//
//   - A record reported with a permanent error (ChunkResult.Errors) is
//     poisoned on its own, exactly as if Handle had returned that error,
//     and does not hold back the others. Only errors that do not depend on
//     the other records (a malformed payload) may be reported this way.
//   - When the handler cannot vouch for each record (ChunkResult.Err: a
//     read or a write failed, and a failed write of several changes does
//     not say which one was refused), the engine runs the handled records
//     one at a time with Handle, within the same invocation: every record
//     then ends exactly as it would have without coalescing (the ones
//     before a failing record applied, only a record the downstream
//     rejects poisoned, the rest of a failed chain skipped). Handlers are
//     idempotent, so an effect that did land is harmlessly applied again.
//     A panic or a ChunkResult that breaks its contract is treated alike.
//   - The deadline margin is checked before each chunk and before each
//     record run one at a time. A chunk must therefore cost no more than
//     one record does (one fetch and one push), plus local work that the
//     MaxChunk bound keeps small.
//   - Kinesis and SQS FIFO responses are built from the outcomes as usual.
//
// Each record of a chunk still gets its own log line, with the chunk's
// size ("chunk"); use Chunk.Context to annotate it. A fallback is logged
// once per chunk as a warning.
//
// # Logs
//
// Each record gets one "record processed" line on Options.Logger, with its
// partition, id, outcome, duration and error; a Handler adds its own
// attributes to that line with Annotate.
package ordering
