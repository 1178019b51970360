package session

import "syscall"

// sessionAttr starts the child in its own session and, on Linux, kills it
// if the test process dies first, so no emulator outlives a crashed run.
func sessionAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
}
