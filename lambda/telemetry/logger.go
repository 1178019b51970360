package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// ParseLevel maps a Lambda log level (AWS_LAMBDA_LOG_LEVEL: TRACE, DEBUG,
// INFO, WARN, ERROR, FATAL) onto slog. Empty means INFO.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "INFO":
		return slog.LevelInfo, nil
	case "TRACE", "DEBUG":
		return slog.LevelDebug, nil
	case "WARN", "WARNING":
		return slog.LevelWarn, nil
	case "ERROR", "FATAL":
		return slog.LevelError, nil
	default:
		return slog.LevelInfo, fmt.Errorf("log level %q: want one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL", s)
	}
}

// ContextAttrs extracts per-invocation attributes (such as the request id)
// from a context; it keeps this package free of Lambda imports.
type ContextAttrs func(ctx context.Context) []slog.Attr

// NewLogger returns a JSON logger writing to w at level. If attrs is not
// nil, every record logged with a context carries attrs(ctx).
func NewLogger(w io.Writer, level slog.Leveler, attrs ContextAttrs) *slog.Logger {
	var h slog.Handler = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	if attrs != nil {
		h = contextHandler{Handler: h, attrs: attrs}
	}
	return slog.New(h)
}

type contextHandler struct {
	slog.Handler
	attrs ContextAttrs
}

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx != nil {
		r.AddAttrs(h.attrs(ctx)...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{Handler: h.Handler.WithAttrs(as), attrs: h.attrs}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{Handler: h.Handler.WithGroup(name), attrs: h.attrs}
}
