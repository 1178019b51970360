package fakeapi

import (
	"net/http"
	"net/http/httptest"
)

// Transport returns an http.RoundTripper that serves every request from s
// in the calling goroutine, without a listener: for tests that run the
// real client against the fake in-process (under testing/synctest, where
// network I/O would keep the bubble from ever being idle). The request's
// host is ignored.
func (s *Server) Transport() http.RoundTripper {
	return roundTripper{s}
}

type roundTripper struct{ s *Server }

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	rt.s.ServeHTTP(rec, req)
	if req.Body != nil {
		req.Body.Close()
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}
