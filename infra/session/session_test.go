package session

import (
	"os/exec"
	"slices"
	"testing"
	"time"
)

// startTree starts a shell that runs a grandchild in its own process group,
// the shape of aws-lambda-rie running the function's runtime.
func startTree(t *testing.T) (*Process, int) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatalf("no sh on PATH: %v", err)
	}
	// set -m puts the background job in its own process group; the shell
	// prints the grandchild's pid and then waits.
	cmd := exec.Command(sh, "-c", "set -m; sleep 300 & echo $!; wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Kill(5 * time.Second) })
	buf := make([]byte, 32)
	n, err := out.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var child int
	for _, c := range buf[:n] {
		if c >= '0' && c <= '9' {
			child = child*10 + int(c-'0')
		}
	}
	return p, child
}

func TestKillReachesChildrenInOtherProcessGroups(t *testing.T) {
	cases := []struct {
		name string
		stop func(p *Process) error
	}{
		{"kill", func(p *Process) error { return p.Kill(5 * time.Second) }},
		{"stop", func(p *Process) error { return p.Stop(2 * time.Second) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, child := startTree(t)
			if !Alive(child) {
				t.Fatalf("grandchild %d is not running", child)
			}
			members := p.Members()
			if !slices.Contains(members, child) || !slices.Contains(members, p.Pid()) {
				t.Fatalf("session members %v, want leader %d and grandchild %d", members, p.Pid(), child)
			}
			if err := tc.stop(p); err != nil {
				t.Fatal(err)
			}
			for _, pid := range []int{p.Pid(), child} {
				if Alive(pid) {
					t.Errorf("pid %d survived", pid)
				}
			}
			if got := p.Pids(); !slices.Contains(got, child) {
				t.Errorf("Pids %v forgot the grandchild %d", got, child)
			}
			select {
			case <-p.Done():
			default:
				t.Error("leader not reaped")
			}
		})
	}
}

func TestAliveOfAFinishedProcess(t *testing.T) {
	p, err := Start(exec.Command("true"))
	if err != nil {
		t.Fatalf("cannot run true: %v", err)
	}
	<-p.Done()
	if Alive(p.Pid()) {
		t.Errorf("pid %d reported alive after exit", p.Pid())
	}
	if err := p.Kill(time.Second); err != nil {
		t.Errorf("killing an exited session: %v", err)
	}
}
