package source

import "context"

type kindKey struct{}

// ContextWithKind returns ctx carrying the event source kind. Invoke sets it
// so that per-record collaborators created once per container (such as the
// poison sink) can tell which source a record came from.
func ContextWithKind(ctx context.Context, kind Kind) context.Context {
	return context.WithValue(ctx, kindKey{}, kind)
}

// KindFromContext returns the kind set by ContextWithKind, or "" if none.
func KindFromContext(ctx context.Context) Kind {
	k, _ := ctx.Value(kindKey{}).(Kind)
	return k
}
