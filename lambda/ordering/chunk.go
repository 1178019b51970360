package ordering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/orderly-dev/orderly/lambda/failure"
)

// DefaultMaxChunk bounds the records offered to one HandleChunk call when
// Options.MaxChunk is zero. A chunk costs the downstream what one record
// does (orderly: one fetch and one push), which the deadline margin covers;
// the bound keeps its local work (decoding and applying each record) far
// below the margin's slack, and limits the work redone one record at a time
// when the chunk fails.
const DefaultMaxChunk = 100

// ChunkHandler is a Handler that can also process several records at once,
// for example to read a document once, apply several changes to it and
// write it once. With Options.Coalesce, the engine offers it runs of
// consecutive records of one chain that share a serialization key
// (Options.SerializeBy); see the package documentation for the contract.
type ChunkHandler interface {
	Handler
	// HandleChunk takes on a prefix of chunk.Records (at least one record)
	// and processes it as if Handle had been called for each record in
	// turn. See ChunkResult for what it must report.
	HandleChunk(ctx context.Context, chunk Chunk) ChunkResult
}

// Chunk is what the engine offers a ChunkHandler: consecutive records of
// one chain, in delivery order, that share one serialization key.
type Chunk struct {
	// Key is the records' serialization key (Options.SerializeBy).
	Key string
	// Records are in delivery order; at most Options.MaxChunk of them.
	Records []Record

	contexts []context.Context
}

// NewChunk builds a Chunk outside the engine, for testing a ChunkHandler:
// every record's context is ctx.
func NewChunk(ctx context.Context, key string, recs []Record) Chunk {
	c := Chunk{Key: key, Records: recs, contexts: make([]context.Context, len(recs))}
	for i := range c.contexts {
		c.contexts[i] = ctx
	}
	return c
}

// Context returns the context of record i: attributes added to it with
// Annotate go to that record's "record processed" log line.
func (c Chunk) Context(i int) context.Context { return c.contexts[i] }

// ChunkResult is what HandleChunk reports.
type ChunkResult struct {
	// Handled is how many records, from the start of the chunk, the handler
	// took on: from 1 to len(Records). The engine offers the rest again,
	// as the next chunk, after checking the deadline.
	Handled int
	// Err, when set, means the handler cannot vouch for the outcome of each
	// handled record (a read or a write failed, and a failed write of
	// several changes does not say which one the downstream objected to).
	// The engine then runs the handled records one at a time with Handle,
	// as without coalescing: since handlers are idempotent, any effect
	// that did land is applied again harmlessly.
	Err error
	// Errors, when Err is nil, holds one entry per handled record: nil
	// when the record is done, or an error marked with failure.Permanent
	// when the record alone can never succeed whatever the others do (a
	// malformed payload): it is poisoned, and the others stand. Any other
	// entry, or a length other than Handled, counts as Err.
	Errors []error
}

// errChunkContract is the fallback reason when a ChunkHandler breaks the
// ChunkResult contract.
var errChunkContract = errors.New("chunk handler broke the ChunkResult contract")

// chunkLen returns how many records from idx[0] the engine offers as one
// chunk: the run of consecutive records sharing a serialization key, up to
// the bound. 1 means "run the record on its own".
func (e *Engine) chunkLen(keys []recordKey, idx []int) int {
	if e.chunker == nil || len(idx) < 2 || !keys[idx[0]].ok {
		return 1
	}
	n := 1
	for n < len(idx) && n < e.maxChunk && keys[idx[n]] == keys[idx[0]] {
		n++
	}
	return n
}

// runChunk offers the first offered records of rest (the remainder of a
// chain) to the ChunkHandler. It returns how many of them the handler took
// on, and whether it vouched for their outcomes. If it did, the outcomes
// are recorded in res, and stopped reports that one ended Failed: the rest
// of the chain is then skipped. If it did not, the caller runs the handled
// records one at a time.
func (e *Engine) runChunk(ctx context.Context, recs []Record, keys []recordKey, rest []int, offered int, res *Result) (handled int, vouched, stopped bool) {
	idx := rest[:offered]
	chunk := Chunk{Key: keys[idx[0]].key, Records: make([]Record, len(idx)), contexts: make([]context.Context, len(idx))}
	notes := make([]*annotations, len(idx))
	for n, i := range idx {
		chunk.Records[n] = recs[i]
		chunk.contexts[n], notes[n] = withAnnotations(ctx)
	}
	start := e.now()
	var cr ChunkResult
	if err := safely(func() error { cr = e.chunker.HandleChunk(ctx, chunk); return nil }); err != nil {
		e.logFallback(ctx, chunk, len(idx), err)
		return len(idx), false, false
	}
	took := e.now().Sub(start)
	if err := checkChunkResult(cr, len(idx)); err != nil {
		handled = cr.Handled
		if handled < 1 || handled > len(idx) {
			handled = len(idx)
		}
		e.logFallback(ctx, chunk, handled, err)
		return handled, false, false
	}
	for _, err := range cr.Errors {
		if err == nil {
			// One applied record is evidence that the key's calls work.
			e.health.succeeded(chunk.Key, e.now())
			break
		}
	}
	size := slog.Int("chunk", cr.Handled)
	for n, i := range idx[:cr.Handled] {
		outcome, err := Succeeded, cr.Errors[n]
		if err != nil {
			// Each send to the poison sink is work like a record's, so the
			// deadline is checked before it, as it would be per record. A
			// record skipped here is redelivered and poisoned next time;
			// the chunk's later records, whatever they did, are skipped
			// and redelivered as harmless duplicates.
			if reason := e.cannotStart(ctx); reason != nil {
				e.skipRest(ctx, recs, rest[n:], res, reason)
				return cr.Handled, true, true
			}
			outcome, err = e.poisonRecord(chunk.contexts[n], recs[i], err)
		}
		res.Outcomes[i], res.Errors[i] = outcome, err
		e.logRecord(ctx, recs[i], outcome, err, took, append(notes[n].list(), size)...)
		if outcome == Failed {
			blocked := fmt.Errorf("%w (record %s)", ErrPartitionBlocked, recs[i].ID)
			// The chunk's later records may already have taken effect;
			// they are skipped all the same, exactly as without
			// coalescing, and redelivered as harmless duplicates.
			e.skipRest(ctx, recs, rest[n+1:], res, blocked)
			return cr.Handled, true, true
		}
	}
	return cr.Handled, true, false
}

// checkChunkResult returns why the engine cannot take cr as the outcomes
// of the chunk's first cr.Handled records (of offered), or nil.
func checkChunkResult(cr ChunkResult, offered int) error {
	switch {
	case cr.Handled < 1 || cr.Handled > offered:
		return fmt.Errorf("%w: Handled %d of %d records offered", errChunkContract, cr.Handled, offered)
	case cr.Err != nil:
		return cr.Err
	case len(cr.Errors) != cr.Handled:
		return fmt.Errorf("%w: %d Errors for %d handled records", errChunkContract, len(cr.Errors), cr.Handled)
	}
	for _, err := range cr.Errors {
		if err != nil && !failure.IsPermanent(err) {
			return fmt.Errorf("%w: a transient error for one record (%v): only Err may report those", errChunkContract, err)
		}
	}
	return nil
}

func (e *Engine) logFallback(ctx context.Context, chunk Chunk, handled int, reason error) {
	e.log.LogAttrs(ctx, slog.LevelWarn, "coalesced chunk failed: running its records one at a time",
		slog.String("key", chunk.Key),
		slog.Int("records", handled),
		slog.String("firstRecordId", chunk.Records[0].ID),
		slog.String("error", reason.Error()))
}
