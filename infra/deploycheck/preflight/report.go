// Package preflight checks, with read-only calls, what would make
// `cdk deploy` of an orderly stack fail or go wrong halfway through a
// CloudFormation rollout: the identity and region, the bootstrap stack, the
// API key secret and its key, the customer managed key of the stores
// (exists, enabled, its policy holds the statements of infra/keypolicy),
// the API URL, concurrency, rule and shard quotas.
package preflight

import (
	"encoding/json"
	"fmt"
	"io"
)

// Status of one check.
type Status string

// Check statuses. Only Fail makes the preflight fail.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check is one line of the report.
type Check struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
}

// Report is the outcome of a preflight run.
type Report struct {
	Env     string  `json:"env"`
	Stack   string  `json:"stack"`
	Account string  `json:"account,omitempty"`
	Region  string  `json:"region,omitempty"`
	Checks  []Check `json:"checks"`
	// OK is true when no check failed.
	OK bool `json:"ok"`
}

func (r *Report) add(name string, status Status, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, Status: status, Detail: fmt.Sprintf(format, args...)})
}

func (r *Report) finish() {
	r.OK = true
	for _, c := range r.Checks {
		if c.Status == Fail {
			r.OK = false
		}
	}
}

// WriteText writes one line per check and a verdict line.
func (r Report) WriteText(w io.Writer) error {
	for _, c := range r.Checks {
		if _, err := fmt.Fprintf(w, "%-4s  %-21s %s\n", c.Status, c.Name, c.Detail); err != nil {
			return err
		}
	}
	verdict := "PASS"
	if !r.OK {
		verdict = "FAIL"
	}
	_, err := fmt.Fprintf(w, "preflight %s: %s (env %s, account %s, region %s)\n", verdict, r.Stack, r.Env, r.Account, r.Region)
	return err
}

// WriteJSON writes the report as one JSON document.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
