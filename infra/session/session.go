// Package session starts helper processes (the CDK CLI and the app it runs,
// the Lambda emulator, qemu, a local Kinesis) so that they can always be
// stopped completely.
//
// Each process becomes the leader of a new session. Its children stay in
// that session even when they make their own process groups, as the Lambda
// runtime interface emulator does for the function's runtime, so killing
// every member of the session reaches the whole tree. The leader also gets
// SIGKILL if the starting thread dies, so a crashed harness does not leave
// an emulator listening (its runtime then exits on its own when the runtime
// API disappears). That signal is tied to the OS thread, and Go only ends a
// thread when a goroutine that locked it exits: do not start processes from
// goroutines that call runtime.LockOSThread.
package session

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is a started session leader.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{}

	mu   sync.Mutex
	seen map[int]bool // every member observed, for Exited checks
	err  error
}

// Start starts cmd as the leader of a new session. cmd must not have been
// started; its SysProcAttr is replaced.
func Start(cmd *exec.Cmd) (*Process, error) {
	cmd.SysProcAttr = sessionAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(cmd.Path), err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{}), seen: map[int]bool{cmd.Process.Pid: true}}
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// Pid returns the leader's pid, which is also the session id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the leader has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err returns the leader's wait error once Done is closed.
func (p *Process) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Members returns the live processes of the session, leader included, and
// remembers them for Pids.
func (p *Process) Members() []int {
	pids := Members(p.Pid())
	p.mu.Lock()
	for _, pid := range pids {
		p.seen[pid] = true
	}
	p.mu.Unlock()
	return pids
}

// Pids returns every process ever observed in the session.
func (p *Process) Pids() []int {
	p.Members()
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]int, 0, len(p.seen))
	for pid := range p.seen {
		out = append(out, pid)
	}
	return out
}

// Kill sends SIGKILL to every member of the session and waits, at most
// timeout, until the leader has been reaped and no member is left.
func (p *Process) Kill(timeout time.Duration) error {
	return p.stop(syscall.SIGKILL, timeout)
}

// Stop sends SIGTERM to the session, waits up to grace, then kills what is
// left. Shutting down politely lets servers flush their logs.
func (p *Process) Stop(grace time.Duration) error {
	if err := p.stop(syscall.SIGTERM, grace); err == nil {
		return nil
	}
	return p.Kill(5 * time.Second)
}

func (p *Process) stop(sig syscall.Signal, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		members := p.Members()
		select {
		case <-p.done:
			if len(members) == 0 {
				return nil
			}
		default:
			// The leader is not in Members once it is a zombie; signal it
			// anyway until Wait has reaped it.
			members = append(members, p.Pid())
		}
		for _, pid := range members {
			// ESRCH just means it exited in between.
			_ = syscall.Kill(pid, sig)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("session %d: processes %v still alive %s after %s", p.Pid(), members, timeout, sig)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Members lists the live (not zombie) processes whose session id is sid.
func Members(sid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err != nil || st.state == "Z" || st.state == "X" {
			continue
		}
		if st.session == sid {
			out = append(out, pid)
		}
	}
	return out
}

// Alive reports whether pid is a live process (zombies count as gone: they
// run nothing and hold no ports).
func Alive(pid int) bool {
	st, err := readStat(pid)
	return err == nil && st.state != "Z" && st.state != "X"
}

type stat struct {
	state   string
	session int
}

// readStat parses /proc/<pid>/stat. The command name (field 2) may contain
// spaces and parentheses, so fields are counted after its last ')'.
func readStat(pid int) (stat, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return stat{}, errors.New("malformed stat")
	}
	// After ')': state ppid pgrp session ...
	fields := strings.Fields(s[i+1:])
	if len(fields) < 4 {
		return stat{}, errors.New("malformed stat")
	}
	sid, err := strconv.Atoi(fields[3])
	if err != nil {
		return stat{}, err
	}
	return stat{state: fields[0], session: sid}, nil
}
