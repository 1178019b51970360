// Package failure classifies errors as permanent (retrying cannot help) or
// transient (anything else). The ordering engine uses the classification to
// decide between sending a record to the poison sink and retrying it.
package failure

import "errors"

// PermanentError marks an error that will fail again on every retry, such as
// malformed input. It wraps the underlying error so errors.Is/As keep working.
type PermanentError struct {
	Err error
}

// Error returns the message of the wrapped error.
func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "permanent failure"
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as permanent. A nil err stays nil so that callers can
// write `return failure.Permanent(err)` unconditionally.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	if IsPermanent(err) {
		return err
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether any error in err's chain is a *PermanentError.
// Everything else is transient by default, because retrying an unknown error
// is safer than dropping the record.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
