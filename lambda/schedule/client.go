package schedule

import "context"

// Client reads and writes schedule documents of the third-party API.
type Client interface {
	// Fetch returns the schedule of period, or an empty schedule with
	// revision 0 if the server has none.
	Fetch(ctx context.Context, period string) (Schedule, error)
	// Push replaces the schedule of s.Period. s.Revision is the revision the
	// document was based on; the real API ignores it, the fake server uses
	// it to detect lost updates.
	Push(ctx context.Context, s Schedule) error
}
