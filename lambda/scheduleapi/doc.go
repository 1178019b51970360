// Package scheduleapi is the HTTP client of the third-party schedule API:
// it fetches and pushes one period's document, with the API key from the
// secret, a timeout per attempt, and retries with backoff inside a budget
// that the deployment sets (Limits), so that a slow vendor never runs a
// record past the invocation's deadline. It implements schedule.Client;
// sim/fakeapi is its loopback counterpart.
package scheduleapi
