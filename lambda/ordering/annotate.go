package ordering

import (
	"context"
	"log/slog"
	"sync"
)

// annotations collects attributes a handler adds to its record's log line.
type annotations struct {
	mu    sync.Mutex
	attrs []slog.Attr
}

type annotationsKey struct{}

// Annotate adds attributes (such as the decoded event id) to the "record
// processed" log line of the record whose ctx this is. Only the handler
// knows what the payload means; the engine owns the outcome line. Outside
// a record's context it does nothing.
func Annotate(ctx context.Context, attrs ...slog.Attr) {
	if a, ok := ctx.Value(annotationsKey{}).(*annotations); ok {
		a.add(attrs...)
	}
}

func withAnnotations(ctx context.Context) (context.Context, *annotations) {
	a := &annotations{}
	return context.WithValue(ctx, annotationsKey{}, a), a
}

func (a *annotations) list() []slog.Attr {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.attrs
}

func (a *annotations) add(attrs ...slog.Attr) {
	a.mu.Lock()
	a.attrs = append(a.attrs, attrs...)
	a.mu.Unlock()
}
