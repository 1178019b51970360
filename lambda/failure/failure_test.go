package failure_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/orderly-dev/orderly/lambda/failure"
)

func TestIsPermanent(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", base, false},
		{"context deadline", context.DeadlineExceeded, false},
		{"permanent", failure.Permanent(base), true},
		{"wrapped permanent", fmt.Errorf("decode: %w", failure.Permanent(base)), true},
		{"permanent of wrapped", failure.Permanent(fmt.Errorf("x: %w", io.EOF)), true},
		{"joined", errors.Join(base, failure.Permanent(io.EOF)), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := failure.IsPermanent(tc.err); got != tc.want {
				t.Fatalf("IsPermanent(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestPermanentKeepsChainAndMessage(t *testing.T) {
	inner := fmt.Errorf("parse detail: %w", io.ErrUnexpectedEOF)
	err := failure.Permanent(inner)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("errors.Is through Permanent lost the chain: %v", err)
	}
	if err.Error() != inner.Error() {
		t.Fatalf("message = %q, want %q", err.Error(), inner.Error())
	}
	if failure.Permanent(nil) != nil {
		t.Fatal("Permanent(nil) must stay nil")
	}
	if again := failure.Permanent(err); again != err {
		t.Fatalf("Permanent of a permanent error must not wrap twice: %#v", again)
	}
}
