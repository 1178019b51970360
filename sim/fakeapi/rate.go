package fakeapi

import "time"

// rateWindow is the window a vendor's rate limit counts requests over.
const rateWindow = time.Second

// window holds the arrival times of the requests of the last rateWindow,
// oldest first, for the peak request rate.
type window struct {
	arrivals []time.Time
	peak     int
}

// add records a request at now and returns the requests in the window
// ending at now.
func (w *window) add(now time.Time) int {
	cut := 0
	for cut < len(w.arrivals) && now.Sub(w.arrivals[cut]) >= rateWindow {
		cut++
	}
	w.arrivals = append(w.arrivals[cut:], now)
	w.peak = max(w.peak, len(w.arrivals))
	return len(w.arrivals)
}
